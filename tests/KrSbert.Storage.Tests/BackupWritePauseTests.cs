using System.Diagnostics;
using KrSbert.Storage.Backups;
using KrSbert.Storage.Documents;
using Xunit.Abstractions;

namespace KrSbert.Storage.Tests;

/// <summary>
/// Writes go on while a large database is backed up: the copy never holds the writer. How long they wait is a
/// figure for <c>krsbert bench backup</c>, printed here but not asserted (timings belong in benchmarks).
/// </summary>
public class BackupWritePauseTests(ITestOutputHelper output)
{
    private const int Dimension = 768;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Writes_go_on_during_a_backup_of_50000_vectors_of_768_dimensions()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("big", TemporaryStore.Settings(Dimension)).WaitAsync(TimeSpan.FromSeconds(60));
        var random = new Random(11);
        for (int batch = 0; batch < 100; batch++)
        {
            var writes = Enumerable.Range(batch * 500, 500).Select(i => (DocumentWrite)TemporaryStore.Document($"d{i}", Vector(random))).ToList();
            await temp.Store.ApplyBatchAsync("big", writes).WaitAsync(TimeSpan.FromSeconds(120));
        }

        string backupFile = temp.FilePath + ".backup";
        using var stop = new CancellationTokenSource();
        var latencies = new List<(double StartMs, double Ms)>();
        var clock = Stopwatch.StartNew();
        Task writer = Task.Run(async () =>
        {
            var writerRandom = new Random(12);
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                double start = clock.Elapsed.TotalMilliseconds;
                await temp.Store.ApplyBatchAsync("big", [TemporaryStore.Document($"w{i}", Vector(writerRandom))]);
                latencies.Add((start, clock.Elapsed.TotalMilliseconds - start));
            }
        });
        await Task.Delay(3000);
        double backupStart = clock.Elapsed.TotalMilliseconds;
        StoreBackup backup;
        await using (var file = File.Create(backupFile))
        {
            backup = await temp.Store.BackupAsync(file).WaitAsync(TimeSpan.FromMinutes(5));
        }

        double backupEnd = clock.Elapsed.TotalMilliseconds;
        // Long enough after the copy for the log collected during it to be checkpointed.
        await Task.Delay(3000);
        await stop.CancelAsync();
        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        File.Delete(backupFile);

        double before = latencies.Where(l => l.StartMs < backupStart).Max(l => l.Ms);
        double during = latencies.Where(l => l.StartMs >= backupStart && l.StartMs < backupEnd).Max(l => l.Ms);
        double after = latencies.Where(l => l.StartMs >= backupEnd).Max(l => l.Ms);
        int writesDuring = latencies.Count(l => l.StartMs >= backupStart && l.StartMs < backupEnd);
        output.WriteLine(
            $"backup {backup.Length / 1048576.0:F0} MiB in {backupEnd - backupStart:F0} ms with {writesDuring} writes meanwhile; "
            + $"longest write: {before:F1} ms before, {during:F1} ms during, {after:F1} ms in the 3 s after");
        foreach (var (startMs, ms) in latencies.OrderByDescending(l => l.Ms).Take(8))
        {
            output.WriteLine($"  {ms:F1} ms at {startMs - backupStart:F0} ms from the backup's start");
        }

        output.WriteLine($"writes before: {latencies.Count(l => l.StartMs < backupStart)} in 3000 ms; longest writer step for the backup: {backup.WriterPause.TotalMilliseconds:F1} ms");
        Assert.True(writesDuring > 10, $"only {writesDuring} writes completed during the backup");
    }

    private static float[] Vector(Random random) => Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray();
}
