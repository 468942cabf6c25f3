using System.Diagnostics;
using KrSbert.Search.Querying;

namespace KrSbert.Search.Tests;

[Trait("Category", "Slow")]
public class ConcurrencyTests
{
    [Fact]
    public async Task Four_readers_and_one_writer_run_for_thirty_seconds_without_an_error()
    {
        await using var temp = await TemporaryEngine.StartAsync(snapshotEvery: 500);
        await temp.CreateVectorCollectionAsync(dimension: 32);
        var seed = new Random(7);
        await temp.Engine.UpsertAsync("vectors", Enumerable.Range(0, 500).Select(i => TemporaryEngine.VectorDocument($"seed{i}", TemporaryEngine.RandomVector(seed, 32))).ToList());
        var stop = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(30);
        long queries = 0, writes = 0;

        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            var random = new Random(100 + r);
            while (stop.Elapsed < duration)
            {
                var result = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = TemporaryEngine.RandomVector(random, 32), TopK = 10 });
                Assert.Equal(10, result.Hits.Count);
                Interlocked.Increment(ref queries);
            }
        }));
        var writer = Task.Run(async () =>
        {
            var random = new Random(200);
            int next = 0;
            while (stop.Elapsed < duration)
            {
                await temp.Engine.UpsertAsync("vectors", Enumerable.Range(0, 10).Select(_ => TemporaryEngine.VectorDocument($"w{next++}", TemporaryEngine.RandomVector(random, 32))).ToList());
                if (next % 50 == 0)
                {
                    await temp.Engine.DeleteAsync("vectors", [$"w{next - 25}", $"w{next - 30}"]);
                }

                Interlocked.Increment(ref writes);
            }
        });

        await Task.WhenAll([.. readers, writer]);

        var info = temp.Engine.GetCollection("vectors");
        Assert.Equal(info.Record.ChunkCount, info.IndexedVectors);
        Assert.True(queries > 100 && writes > 10, $"{queries} queries, {writes} writes");
    }
}
