using System.Collections.Concurrent;
using KrSbert.Storage.Documents;

namespace KrSbert.Storage.Tests;

/// <summary>Under fsync a write is answered after its commit is on disk, and queued writes share one fsync.</summary>
public class DurabilityTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Under_fsync_a_write_is_acknowledged_after_its_commit_is_flushed()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        var events = new ConcurrentQueue<string>();
        temp.Store.WriteTrace = events.Enqueue;

        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]).WaitAsync(Timeout);
        events.Enqueue("answered");

        Assert.Equal(StoreDurability.Fsync, temp.Store.Durability);
        Assert.Equal(["commit", "flush", "ack", "answered"], events);
    }

    [Fact]
    public async Task Concurrent_writers_share_flushes_and_none_is_answered_before_its_flush()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        var events = new ConcurrentQueue<string>();
        using var gate = new ManualResetEventSlim();
        // The first commit holds the writer thread until every other writer has queued.
        temp.Store.WriteTrace = e =>
        {
            events.Enqueue(e);
            if (e == "commit")
            {
                gate.Wait(Timeout);
            }
        };

        var writes = new List<Task<BatchResult>> { temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("w0", [1, 0, 0, 0])]) };
        for (int i = 1; i < 16; i++)
        {
            writes.Add(temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document($"w{i}", [1, 0, 0, i])]));
        }

        gate.Set();
        await Task.WhenAll(writes).WaitAsync(Timeout);

        string[] trace = [.. events];
        Assert.Equal(16, trace.Count(e => e == "commit"));
        Assert.Equal(16, trace.Count(e => e == "ack"));
        Assert.InRange(trace.Count(e => e == "flush"), 1, 2);
        AssertEveryAckFollowsAFlushOfItsCommit(trace);
        Assert.Equal(16, temp.Store.GetCollection("faq")!.DocumentCount);
    }

    [Fact]
    public async Task A_long_queue_is_flushed_every_max_commits()
    {
        using var temp = new TemporaryStore(new DocumentStoreOptions { MaxCommitsPerFlush = 4 });
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        var events = new ConcurrentQueue<string>();
        using var gate = new ManualResetEventSlim();
        temp.Store.WriteTrace = e =>
        {
            events.Enqueue(e);
            if (e == "commit")
            {
                gate.Wait(Timeout);
            }
        };

        var writes = Enumerable.Range(0, 16).Select(i => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document($"w{i}", [1, 0, 0, i])])).ToList();
        gate.Set();
        await Task.WhenAll(writes).WaitAsync(Timeout);

        string[] trace = [.. events];
        Assert.Equal(4, trace.Count(e => e == "flush"));
        AssertEveryAckFollowsAFlushOfItsCommit(trace);
    }

    [Fact]
    public async Task Under_os_durability_writes_are_answered_without_a_flush_and_survive_reopen()
    {
        var options = new DocumentStoreOptions { Durability = StoreDurability.Os };
        using var temp = new TemporaryStore(options);
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        var events = new ConcurrentQueue<string>();
        temp.Store.WriteTrace = events.Enqueue;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document($"w{i}", [1, 0, 0, i])]))).WaitAsync(Timeout);

        Assert.Equal(8, events.Count(e => e == "commit"));
        Assert.DoesNotContain("flush", events);
        temp.Reopen();
        Assert.Equal(8, temp.Store.GetCollection("faq")!.DocumentCount);
    }

    [Theory]
    [InlineData(StoreDurability.Fsync, StoreDurability.Os)]
    [InlineData(StoreDurability.Os, StoreDurability.Fsync)]
    public async Task Either_durability_reads_what_the_other_wrote_and_leaves_the_same_files(StoreDurability first, StoreDurability second)
    {
        using var temp = new TemporaryStore(new DocumentStoreOptions { Durability = first });
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]).WaitAsync(Timeout);

        temp.Reopen(new DocumentStoreOptions { Durability = second });
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("b", [0, 1, 0, 0])]).WaitAsync(Timeout);
        temp.Store.Dispose();

        string folder = Path.GetDirectoryName(temp.FilePath)!;
        Assert.Equal(["krsbert.db", "krsbert.db.lock"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        temp.Reopen(new DocumentStoreOptions { Durability = first });
        Assert.Equal(["a", "b"], temp.Store.GetDocuments("faq", ["a", "b"]).Select(d => d.Id));
    }

    /// <summary>Walks the trace: an ack is allowed only when every commit before it was followed by a flush.</summary>
    private static void AssertEveryAckFollowsAFlushOfItsCommit(string[] trace)
    {
        int unflushed = 0, flushed = 0;
        foreach (string e in trace)
        {
            switch (e)
            {
                case "commit":
                    unflushed++;
                    break;
                case "flush":
                    flushed += unflushed;
                    unflushed = 0;
                    break;
                case "ack":
                    Assert.True(flushed > 0, "a write was acknowledged before a flush covered its commit");
                    flushed--;
                    break;
            }
        }
    }
}
