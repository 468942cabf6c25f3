using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using KrSbert.Cli.Bench;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Storage.Backups;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert bench backup</c>: how long writes wait while a large database is backed up. One writer stores a
/// document at a time (as a client does) before, during and after an online backup; the command prints the longest
/// write in each period and the writer thread's own longest step for the backup.
/// </summary>
internal static class BenchBackupCommand
{
    public static Command Create()
    {
        var documents = new Option<int>("--documents") { Description = "Documents stored before the backup", DefaultValueFactory = _ => 50_000 };
        var dimensions = new Option<int>("--dimensions") { Description = "Vector length", DefaultValueFactory = _ => 768 };
        var folder = new Option<string?>("--folder") { Description = "Where the data folder goes (the disk to measure); default: the temp folder" };
        var command = new Command("backup", "Measure how long writes wait during an online backup") { documents, dimensions, folder };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            int count = result.GetValue(documents);
            int dimension = result.GetValue(dimensions);
            string data = Path.Combine(result.GetValue(folder) ?? Path.GetTempPath(), "krsbert-bench-backup-" + Guid.NewGuid().ToString("N"));
            Console.WriteLine($"cpu: {BenchEmbedCommand.CpuDescription()}; {Environment.ProcessorCount} logical cores");
            try
            {
                await using SearchEngine engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data, SnapshotEveryChanges = int.MaxValue }, embedder: null, cancellationToken: cancellationToken);
                await engine.CreateCollectionAsync(new CollectionDefinition { Name = "bench", Dimension = dimension }, cancellationToken);
                var random = new Random(11);
                for (int start = 0; start < count; start += 500)
                {
                    var batch = Enumerable.Range(start, Math.Min(500, count - start)).Select(i => new DocumentInput($"d{i}", null, RandomVectors.Next(random, dimension))).ToList();
                    await engine.UpsertAsync("bench", batch, cancellationToken: cancellationToken);
                }

                await MeasureAsync(engine, data, dimension, cancellationToken);
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

    private static async Task MeasureAsync(SearchEngine engine, string data, int dimension, CancellationToken cancellationToken)
    {
        var latencies = new List<(double StartMs, double Ms)>();
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task writer = Task.Run(async () =>
        {
            var random = new Random(12);
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                double start = clock.Elapsed.TotalMilliseconds;
                await engine.UpsertAsync("bench", [new DocumentInput($"w{i}", null, RandomVectors.Next(random, dimension))], cancellationToken: CancellationToken.None);
                latencies.Add((start, clock.Elapsed.TotalMilliseconds - start));
            }
        }, CancellationToken.None);

        await Task.Delay(3000, cancellationToken);
        double backupStart = clock.Elapsed.TotalMilliseconds;
        string file = Path.Combine(data, "bench.backup");
        StoreBackup backup;
        await using (FileStream output = File.Create(file))
        {
            backup = await engine.Store.BackupAsync((chunk, token) => output.WriteAsync(chunk, token), cancellationToken);
        }

        double backupEnd = clock.Elapsed.TotalMilliseconds;
        // Long enough for the log gathered during the copy to be checkpointed by a later commit.
        await Task.Delay(3000, cancellationToken);
        await stop.CancelAsync();
        await writer;

        static string Longest(IEnumerable<(double StartMs, double Ms)> period) =>
            period.Any() ? string.Create(CultureInfo.InvariantCulture, $"{period.Max(l => l.Ms),8:F1} ms ({period.Count()} writes)") : "no write";

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"backup: {backup.Length / 1048576.0:F0} MiB in {backupEnd - backupStart:F0} ms; writer thread's longest step for it {backup.WriterPause.TotalMilliseconds:F1} ms"));
        Console.WriteLine($"longest write, 3 s before:  {Longest(latencies.Where(l => l.StartMs < backupStart))}");
        Console.WriteLine($"longest write, during:      {Longest(latencies.Where(l => l.StartMs >= backupStart && l.StartMs < backupEnd))}");
        Console.WriteLine($"longest write, 3 s after:   {Longest(latencies.Where(l => l.StartMs >= backupEnd))}");
    }
}
