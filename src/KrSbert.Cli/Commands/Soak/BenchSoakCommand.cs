using System.CommandLine;
using System.Globalization;
using KrSbert.Search;
using KrSbert.Search.Querying;

namespace KrSbert.Cli.Commands.Soak;

/// <summary>
/// <c>krsbert bench soak</c>: kills an ingesting process with SIGKILL at random moments, round after round, then
/// reopens the data and reports documents acknowledged against found, index against store counts, and whether
/// each document's own vector finds it first.
/// </summary>
internal static class BenchSoakCommand
{
    public static Command Create()
    {
        var rounds = new Option<int>("--rounds") { Description = "Kills", DefaultValueFactory = _ => 50 };
        var command = new Command("soak", "SIGKILL an ingesting process repeatedly and check nothing acknowledged was lost") { rounds };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            string data = Path.Combine(Path.GetTempPath(), "krsbert-soak-" + Guid.NewGuid().ToString("N"));
            string dll = Path.Combine(AppContext.BaseDirectory, "krsbert.dll");
            var soak = new SoakRound();
            var random = new Random(7);
            long nextId = 1;
            try
            {
                for (int round = 0; round < result.GetValue(rounds); round++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    (long maxId, int acks) = await soak.RunAsync(dll, data, nextId, round, TimeSpan.FromMilliseconds(random.Next(200, 2000)));
                    Console.Error.Write($"\rround {round + 1}: {acks} acknowledged before the kill   ");
                    nextId = maxId + 1000;
                }

                Console.Error.WriteLine();
                await using var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data }, embedder: null, cancellationToken: cancellationToken);
                var live = soak.Acknowledged.Except(soak.Deleted).Except(soak.Deleting).ToList();
                var found = engine.GetDocuments(SoakVectors.Collection, live.Select(Id).ToList(), withVectors: true);
                int correct = found.Count(d => d.Chunks[0].Vector.AsSpan().SequenceEqual(SoakVectors.For(long.Parse(d.Id, CultureInfo.InvariantCulture))));
                int resurrected = engine.GetDocuments(SoakVectors.Collection, soak.Deleted.Select(Id).ToList()).Count;
                int selfFirst = 0;
                foreach (long id in live)
                {
                    var hits = await engine.SearchAsync(SoakVectors.Collection, new SearchRequest { Vector = SoakVectors.For(id), TopK = 1, IncludeText = false }, cancellationToken);
                    selfFirst += hits.Hits.Count == 1 && hits.Hits[0].Id == Id(id) ? 1 : 0;
                }

                var info = engine.GetCollection(SoakVectors.Collection);
                Console.WriteLine($"rounds: {result.GetValue(rounds)}; acknowledged upserts: {soak.Acknowledged.Count}, acknowledged deletes: {soak.Deleted.Count}, deletes cut off by a kill: {soak.Deleting.Count}");
                Console.WriteLine($"live documents expected: {live.Count}; found with the right vector: {correct}; deleted documents found again: {resurrected}");
                Console.WriteLine($"store chunks: {info.Record.ChunkCount}; index vectors: {info.IndexedVectors}; documents finding themselves first: {selfFirst}/{live.Count}");
                return correct == live.Count && resurrected == 0 && info.Record.ChunkCount == info.IndexedVectors && selfFirst == live.Count
                    ? ExitCodes.Success
                    : ExitCodes.VerificationFailed;
            }
            finally
            {
                if (Directory.Exists(data))
                {
                    Directory.Delete(data, recursive: true);
                }
            }
        }));
        return command;
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
