using KrSbert.Cli.Bench;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Storage;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert bench durability</c>: documents per second stored through the search engine (one vector each, a
/// vectors-only collection) by 1, 4 and 16 concurrent writers, under fsync and os durability. Every writer waits
/// for its answer before sending the next document, as a client does.
/// </summary>
internal static class BenchDurabilityCommand
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Length of each measurement", DefaultValueFactory = _ => 3 };
        var dimensions = new Option<int>("--dimensions") { Description = "Vector length", DefaultValueFactory = _ => 768 };
        var writers = new Option<int[]>("--writers") { Description = "Concurrent writer counts", DefaultValueFactory = _ => [1, 4, 16], AllowMultipleArgumentsPerToken = true };
        var folder = new Option<string?>("--folder") { Description = "Where the data folders go (the disk to measure); default: the temp folder" };
        var command = new Command("durability", "Measure write throughput under fsync and os durability") { seconds, dimensions, writers, folder };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            TimeSpan length = TimeSpan.FromSeconds(result.GetValue(seconds));
            int dimension = result.GetValue(dimensions);
            string root = result.GetValue(folder) ?? Path.GetTempPath();
            Console.WriteLine($"cpu: {BenchEmbedCommand.CpuDescription()}; {Environment.ProcessorCount} logical cores");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"data: {Path.GetFullPath(root)}; {dimension}-dimension vectors, one document per write, {length.TotalSeconds:F0} s per cell"));
            Console.WriteLine("durability  writers     docs/s  mean latency ms");
            foreach (StoreDurability durability in new[] { StoreDurability.Fsync, StoreDurability.Os })
            {
                foreach (int count in result.GetValue(writers)!)
                {
                    (long stored, double elapsed) = await MeasureAsync(root, durability, count, dimension, length, cancellationToken);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{durability.ToString().ToLowerInvariant(),-10}  {count,7}  {stored / elapsed,9:F0}  {elapsed * 1000 * count / Math.Max(stored, 1),15:F2}"));
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<(long Stored, double Seconds)> MeasureAsync(string root, StoreDurability durability, int writers, int dimension, TimeSpan length, CancellationToken cancellationToken)
    {
        string data = Path.Combine(root, "krsbert-durability-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new SearchEngineOptions { DataDirectory = data, Durability = durability, SnapshotEveryChanges = int.MaxValue };
            await using SearchEngine engine = await SearchEngine.OpenAsync(options, embedder: null, cancellationToken: cancellationToken);
            await engine.CreateCollectionAsync(new CollectionDefinition { Name = "bench", Dimension = dimension }, cancellationToken);
            long stored = 0;
            long started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
            {
                var random = new Random(writer);
                for (int i = 0; Stopwatch.GetElapsedTime(started) < length; i++)
                {
                    var document = new DocumentInput(string.Create(CultureInfo.InvariantCulture, $"w{writer}-{i}"), null, RandomVectors.Next(random, dimension));
                    await engine.UpsertAsync("bench", [document], cancellationToken: cancellationToken);
                    Interlocked.Increment(ref stored);
                }
            }, cancellationToken)));
            return (stored, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
