using System.Collections.Concurrent;
using System.Diagnostics;
using KrSbert.Index.Tests.TestSupport;

namespace KrSbert.Index.Tests;

[Trait("Category", "Slow")]
public class ConcurrencyTests
{
    private static readonly ClusteredData s_data = new(count: 6_000, dimensions: 32, queries: 50, seed: 31);

    [Fact]
    public async Task Four_searching_threads_and_one_adding_and_removing_thread_run_without_error()
    {
        using HnswIndex index = HnswIndex.Create(new HnswOptions { Dimensions = 32, EfConstruction = 64 });
        index.AddBatch(s_data.Keys.AsSpan(0, 2_000), s_data.Vectors.AsSpan(0, 2_000 * 32));
        var errors = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        long searches = 0, writes = 0;

        var searchers = Enumerable.Range(0, 4).Select(t => Task.Factory.StartNew(() =>
        {
            int q = t;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    ReadOnlySpan<float> query = s_data.Query(q++ % s_data.QueryCount);
                    VectorHit[] hits = (q % 3) switch
                    {
                        0 => index.Search(query, 10),
                        1 => index.Search(query, 10, 128, key => key % 2 == 0),
                        _ => index.Search(query, 10, filter: key => key % 97 == 0),
                    };
                    Assert.NotEmpty(hits);
                    Interlocked.Increment(ref searches);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        var writer = Task.Factory.StartNew(() =>
        {
            var random = new Random(7);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // Adds (new keys and replacements) outnumber removes two to one, so the index stays populated.
                    int i = random.Next(6_000);
                    if (random.Next(3) == 0)
                    {
                        index.Remove(s_data.Keys[i]);
                    }
                    else
                    {
                        index.Add(s_data.Keys[i], s_data.Vector(i));
                    }

                    Interlocked.Increment(ref writes);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            }
        }, TaskCreationOptions.LongRunning);

        await Task.WhenAll([.. searchers, writer]);

        Assert.Empty(errors);
        Assert.True(searches > 100, $"{searches} searches");
        Assert.True(writes > 100, $"{writes} writes");
        Assert.True(index.Count + index.RemovedCount <= 6_000);
    }

    [Fact]
    public void More_searching_threads_than_processors_all_succeed()
    {
        using HnswIndex index = s_data.BuildIndex(new HnswOptions { Dimensions = 32, EfConstruction = 64 });
        int threads = (Environment.ProcessorCount * 4) + 2;
        var errors = new ConcurrentQueue<Exception>();

        Parallel.For(0, threads * 25, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            try
            {
                Assert.Equal(10, index.Search(s_data.Query(i % s_data.QueryCount), 10, 200).Length);
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        });

        Assert.Empty(errors);
    }

    [Fact]
    public async Task Save_and_batch_adds_run_alongside_searches()
    {
        using HnswIndex index = HnswIndex.Create(new HnswOptions { Dimensions = 32, EfConstruction = 64 });
        index.AddBatch(s_data.Keys.AsSpan(0, 1_000), s_data.Vectors.AsSpan(0, 1_000 * 32));
        var errors = new ConcurrentQueue<Exception>();
        var watch = Stopwatch.StartNew();

        var searcher = Task.Run(() =>
        {
            while (watch.Elapsed < TimeSpan.FromSeconds(1.5))
            {
                try
                {
                    index.Search(s_data.Query(0), 10);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            }
        });
        for (int start = 1_000; start < 6_000; start += 1_000)
        {
            index.AddBatch(s_data.Keys.AsSpan(start, 1_000), s_data.Vectors.AsSpan(start * 32, 1_000 * 32));
            using var stream = new MemoryStream();
            index.Save(stream);
            stream.Position = 0;
            using HnswIndex copy = HnswIndex.Load(stream);
            Assert.Equal(start + 1_000, copy.Count);
        }

        await searcher;
        Assert.Empty(errors);
        Assert.Equal(6_000, index.Count);
    }
}
