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

    [Theory]
    [InlineData(64, 1, 2)]
    [InlineData(4, 4, 5)]
    public async Task Writers_that_commit_while_the_disk_syncs_share_the_next_flush_of_at_most_max_commits(int maxCommitsPerFlush, int fewestFlushes, int mostFlushes)
    {
        using var temp = new TemporaryStore(new DocumentStoreOptions { MaxCommitsPerFlush = maxCommitsPerFlush });
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        var events = new ConcurrentQueue<string>();
        using var gate = new ManualResetEventSlim();
        int flushes = 0;
        // The first flush holds the flush thread (a slow disk) while the other fifteen writers commit.
        temp.Store.WriteTrace = e =>
        {
            events.Enqueue(e);
            if (e == "flush" && Interlocked.Increment(ref flushes) == 1)
            {
                gate.Wait(Timeout);
            }
        };

        var writes = Enumerable.Range(0, 16).Select(i => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document($"w{i}", [1, 0, 0, i])])).ToList();
        using (var waited = new CancellationTokenSource(Timeout))
        {
            while (events.Count(e => e == "commit") < 16)
            {
                await Task.Delay(10, waited.Token);
            }
        }

        gate.Set();
        await Task.WhenAll(writes).WaitAsync(Timeout);

        string[] trace = [.. events];
        Assert.Equal(16, trace.Count(e => e == "commit"));
        Assert.Equal(16, trace.Count(e => e == "ack"));
        // The first flush takes what was committed when it started; everything committed while it ran shares the next ones.
        Assert.InRange(trace.Count(e => e == "flush"), fewestFlushes, mostFlushes);
        AssertEveryAckFollowsAFlushOfItsCommit(trace);
        Assert.Equal(16, temp.Store.GetCollection("faq")!.DocumentCount);
    }

    [Fact]
    public async Task A_committed_batch_is_answered_before_its_flush_and_its_durable_task_after()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        using var gate = new ManualResetEventSlim();
        temp.Store.WriteTrace = e =>
        {
            if (e == "flush")
            {
                gate.Wait(Timeout);
            }
        };

        var committed = await temp.Store.ApplyBatchCommittedAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]).WaitAsync(Timeout);
        bool durableBeforeFlush = committed.Durable.IsCompleted;
        gate.Set();
        await committed.Durable.WaitAsync(Timeout);

        Assert.False(durableBeforeFlush);
        Assert.Equal(1, committed.Result.Sequence);
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
