using System.Diagnostics;
using KrSbert.CrashWorker;
using KrSbert.Search.Querying;
using Xunit.Abstractions;

namespace KrSbert.Search.Tests;

public class CrashSafetyTests(ITestOutputHelper output)
{
    private const int Rounds = 20;

    [Fact]
    public async Task Every_acknowledged_change_survives_sigkill_at_random_moments()
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-crash-" + Guid.NewGuid().ToString("N"));
        var random = new Random(20261127);
        var acknowledged = new HashSet<long>();
        var deleted = new HashSet<long>();
        var deleting = new HashSet<long>();
        long nextId = 1;
        try
        {
            for (int round = 0; round < Rounds; round++)
            {
                (long maxId, int acks) = await RunAndKillAsync(data, nextId, round, random.Next(300, 1500), acknowledged, deleted, deleting);
                output.WriteLine($"round {round}: {acks} acknowledgements before the kill");
                nextId = maxId + 1000;
            }

            await using var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data }, embedder: null);
            var info = engine.GetCollection(CrashVectors.Collection);
            // A delete cut off by the kill may or may not have committed: its document is left out of the checks.
            var live = acknowledged.Except(deleted).Except(deleting).ToList();
            var stored = engine.GetDocuments(CrashVectors.Collection, live.Select(Id).ToList(), withVectors: true);

            Assert.True(acknowledged.Count > 200, $"only {acknowledged.Count} documents were acknowledged");
            Assert.Equal(live.Count, stored.Count);
            Assert.Empty(engine.GetDocuments(CrashVectors.Collection, deleted.Select(Id).ToList()));
            Assert.All(stored, d => Assert.Equal(CrashVectors.For(long.Parse(d.Id, System.Globalization.CultureInfo.InvariantCulture)), d.Chunks[0].Vector));
            Assert.Equal(info.Record.ChunkCount, info.IndexedVectors);
            foreach (long id in live.Take(300))
            {
                var hits = await engine.SearchAsync(CrashVectors.Collection, new SearchRequest { Vector = CrashVectors.For(id), TopK = 1 });
                Assert.Equal(Id(id), hits.Hits[0].Id);
            }
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<(long MaxId, int Acks)> RunAndKillAsync(string data, long firstId, int seed, int millisecondsAfterReady, HashSet<long> acknowledged, HashSet<long> deleted, HashSet<long> deleting)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "KrSbert.CrashWorker.dll"));
        start.ArgumentList.Add(data);
        start.ArgumentList.Add(Id(firstId));
        start.ArgumentList.Add(Id(seed));
        using var process = Process.Start(start)!;
        var ready = new TaskCompletionSource();
        long maxId = firstId;
        int acks = 0;
        var reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line == "ready")
                {
                    ready.TrySetResult();
                }
                else if (line.StartsWith("ack ", StringComparison.Ordinal))
                {
                    long id = long.Parse(line.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture);
                    acknowledged.Add(id);
                    maxId = Math.Max(maxId, id);
                    acks++;
                }
                else if (line.StartsWith("deleting ", StringComparison.Ordinal))
                {
                    deleting.Add(long.Parse(line.AsSpan(9), System.Globalization.CultureInfo.InvariantCulture));
                }
                else if (line.StartsWith("del ", StringComparison.Ordinal))
                {
                    long id = long.Parse(line.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture);
                    deleting.Remove(id);
                    deleted.Add(id);
                }
            }
        });
        Task<string> stderr = process.StandardError.ReadToEndAsync();

        Task first = await Task.WhenAny(ready.Task, process.WaitForExitAsync(CancellationToken.None), Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != ready.Task)
        {
            throw new InvalidOperationException($"the worker did not start: {await stderr}");
        }

        await Task.Delay(millisecondsAfterReady);
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        await reader;
        return (maxId, acks);
    }
}
