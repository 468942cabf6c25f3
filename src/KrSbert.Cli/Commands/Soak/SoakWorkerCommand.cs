using System.CommandLine;
using System.Globalization;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Storage.Collections;

namespace KrSbert.Cli.Commands.Soak;

/// <summary>
/// <c>krsbert bench soak-worker DATA FIRST_ID SEED</c> (hidden): ingests until killed, printing "ack ID" once an
/// upsert of ID has returned, and "deleting ID" before and "del ID" after a delete (a kill in between leaves
/// that document's fate open). The soak benchmark and the crash-safety test kill it at random moments. It also
/// stops when its standard input closes: the parent holds it open, so a parent that dies (a test host killed for
/// hanging) takes the worker with it instead of leaving it to fill the disk.
/// </summary>
internal static class SoakWorkerCommand
{
    public static Command Create()
    {
        var data = new Argument<string>("data");
        var firstId = new Argument<long>("first-id");
        var seed = new Argument<int>("seed");
        var command = new Command("soak-worker", "Ingest until killed (used by bench soak)") { data, firstId, seed };
        command.Hidden = true;
        command.SetAction(async (result, cancelled) =>
        {
            using var orphaned = CancellationTokenSource.CreateLinkedTokenSource(cancelled);
            _ = Task.Run(() => StopWhenInputClosesAsync(orphaned), CancellationToken.None);
            CancellationToken cancellationToken = orphaned.Token;
            try
            {
                long nextId = result.GetValue(firstId);
                int seedValue = result.GetValue(seed);
                var random = new Random(seedValue);
                await using SearchEngine engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = result.GetValue(data)!, SnapshotEveryChanges = 40 }, embedder: null, cancellationToken: cancellationToken);
                try
                {
                    await engine.CreateCollectionAsync(new CollectionDefinition { Name = SoakVectors.Collection, Dimension = SoakVectors.Dimension }, cancellationToken);
                }
                catch (CollectionExistsException)
                {
                    // A later round reuses the collection.
                }

                Console.WriteLine("ready");
                var live = new List<long>();
                while (!cancellationToken.IsCancellationRequested)
                {
                    if (live.Count > 10 && random.Next(5) == 0)
                    {
                        long victim = live[random.Next(live.Count)];
                        live.Remove(victim);
                        Console.WriteLine($"deleting {victim}");
                        await engine.DeleteAsync(SoakVectors.Collection, [victim.ToString(CultureInfo.InvariantCulture)], cancellationToken);
                        Console.WriteLine($"del {victim}");
                        continue;
                    }

                    var batch = Enumerable.Range(0, random.Next(1, 9)).Select(_ => nextId++).ToList();
                    var metadata = new Dictionary<string, string> { ["round"] = seedValue.ToString(CultureInfo.InvariantCulture) };
                    await engine.UpsertAsync(SoakVectors.Collection, batch.Select(id => new DocumentInput(id.ToString(CultureInfo.InvariantCulture), null, SoakVectors.For(id), metadata)).ToList(), cancellationToken: cancellationToken);
                    live.AddRange(batch);
                    foreach (long id in batch)
                    {
                        Console.WriteLine($"ack {id}");
                    }
                }

                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Asked to stop (Ctrl+C, or the parent went away) while a call was under way.
                return 0;
            }
        });
        return command;
    }

    private static async Task StopWhenInputClosesAsync(CancellationTokenSource stop)
    {
        await using Stream input = Console.OpenStandardInput();
        await input.CopyToAsync(Stream.Null).ConfigureAwait(false);
        try
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The worker finished first.
        }
    }
}
