using KrSbert.Cli.Bench;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert bench open</c>: stores N seeded vectors in a collection, saves its snapshot, closes, and times
/// opening it again (snapshot read and checked, index loaded, catalog rebuilt), with the bytes on disk.
/// </summary>
internal static class BenchOpenCommand
{
    public static Command Create()
    {
        var documents = new Option<int>("--documents") { Description = "Vectors stored", DefaultValueFactory = _ => 100_000 };
        var dimensions = new Option<int>("--dimensions") { Description = "Vector length", DefaultValueFactory = _ => 768 };
        var command = new Command("open", "Time opening a collection from its snapshot") { documents, dimensions };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            string data = Path.Combine(Path.GetTempPath(), "krsbert-open-" + Guid.NewGuid().ToString("N"));
            int count = result.GetValue(documents), dimension = result.GetValue(dimensions);
            var options = new SearchEngineOptions { DataDirectory = data, SnapshotEveryChanges = int.MaxValue };
            var random = new Random(1);
            try
            {
                Console.WriteLine($"cpu: {BenchEmbedCommand.CpuDescription()}; {Environment.ProcessorCount} logical cores");
                long started = Stopwatch.GetTimestamp();
                await using (var engine = await SearchEngine.OpenAsync(options, embedder: null, cancellationToken: cancellationToken))
                {
                    await engine.CreateCollectionAsync(new CollectionDefinition { Name = "open", Dimension = dimension }, cancellationToken);
                    for (int first = 0; first < count; first += 1000)
                    {
                        var batch = Enumerable.Range(first, Math.Min(1000, count - first))
                            .Select(i => new DocumentInput($"d{i}", null, RandomVectors.Next(random, dimension), new Dictionary<string, string> { ["group"] = (i % 10).ToString(CultureInfo.InvariantCulture) }))
                            .ToList();
                        await engine.UpsertAsync("open", batch, cancellationToken: cancellationToken);
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stored {count} x {dimension} vectors in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
                    started = Stopwatch.GetTimestamp();
                    await engine.SnapshotAllAsync(cancellationToken);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"snapshot saved in {Stopwatch.GetElapsedTime(started).TotalSeconds:F2} s"));
                }

                long bytes = Directory.GetFiles(data).Sum(f => new FileInfo(f).Length);
                started = Stopwatch.GetTimestamp();
                await using (var engine = await SearchEngine.OpenAsync(options, embedder: null, cancellationToken: cancellationToken))
                {
                    double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    var info = engine.GetCollection("open");
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"opened {info.IndexedVectors} vectors from snapshot in {seconds:F2} s (target 3 s)"));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"database on disk: {bytes / 1048576.0:F0} MiB, {(double)bytes / info.IndexedVectors:F0} bytes per vector (vectors, documents, change log and two snapshot generations)"));
                }
            }
            finally
            {
                if (Directory.Exists(data))
                {
                    Directory.Delete(data, recursive: true);
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}
