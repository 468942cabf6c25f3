using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Storage.Tests;

/// <summary>Writes that fail inside the store (a full disk, an I/O error, LiteDB state a failed write broke) leave it usable.</summary>
public class StoreFaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_full_disk_is_reported_as_full_naming_the_folder_reads_keep_working_and_the_next_write_after_space_returns_succeeds()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]).WaitAsync(Timeout);
        int changes = 0;
        temp.Store.WritesAvailableChanged += (_, _) => Interlocked.Increment(ref changes);

        temp.Store.WriteFault = () => new IOException("No space left on device", 28);
        for (int i = 0; i < 3; i++)
        {
            var full = await Assert.ThrowsAsync<StoreFullException>(() => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document($"x{i}", [1, 0, 0, 0])]).WaitAsync(Timeout));
            Assert.Contains(Path.GetDirectoryName(temp.FilePath)!, full.Message, StringComparison.Ordinal);
        }

        Assert.False(temp.Store.WritesAvailable);
        Assert.Equal(["a"], temp.Store.GetDocuments("faq", ["a", "x0"]).Select(d => d.Id));
        Assert.Equal(1, temp.Store.GetCollection("faq")!.DocumentCount);

        temp.Store.WriteFault = null;
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("b", [1, 0, 0, 0])]).WaitAsync(Timeout);

        Assert.True(temp.Store.WritesAvailable);
        Assert.Equal(2, changes);
        temp.Reopen();
        Assert.Equal(["a", "b"], temp.Store.GetDocuments("faq", ["a", "x0", "x1", "x2", "b"]).Select(d => d.Id));
        Assert.Equal(2, temp.Store.GetCollection("faq")!.Sequence);
    }

    [Fact]
    public async Task Another_IO_error_is_unavailable_not_full()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);

        temp.Store.WriteFault = () => new IOException("Input/output error", 5);
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]).WaitAsync(Timeout));

        Assert.IsNotType<StoreFullException>(error);
        Assert.Contains("reopened", error.Message, StringComparison.Ordinal);
        Assert.False(temp.Store.WritesAvailable);
    }

    [Fact]
    public async Task An_unexpected_exception_inside_a_write_reopens_the_store_and_later_writes_succeed()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        int faults = 1;
        // The first page write throws what LiteDB's own checks throw after a half-written commit.
        temp.Store.WriteFault = () => Interlocked.Exchange(ref faults, 0) == 1 ? new InvalidOperationException("page must be writable to support changes") : null;

        await Assert.ThrowsAsync<StoreUnavailableException>(() => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]).WaitAsync(Timeout));
        for (int i = 0; i < 3; i++)
        {
            await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document($"b{i}", [1, 0, 0, 0])]).WaitAsync(Timeout);
        }

        Assert.Equal(1, temp.Store.ReopenCount);
        Assert.True(temp.Store.WritesAvailable);
        Assert.Equal(["b0", "b1", "b2"], temp.Store.GetDocuments("faq", ["a", "b0", "b1", "b2"]).Select(d => d.Id));
    }

    [Fact]
    public async Task A_failed_flush_fails_the_waiting_writes_and_the_store_recovers()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        bool failFlush = true;
        // Faults only the fsync: the commit's pages are written, the flush that acknowledges them is not.
        temp.Store.WriteTrace = e =>
        {
            if (e == "commit" && Volatile.Read(ref failFlush))
            {
                temp.Store.WriteFault = () => new IOException("No space left on device", 28);
            }
        };

        await Assert.ThrowsAsync<StoreFullException>(() => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]).WaitAsync(Timeout));
        Volatile.Write(ref failFlush, false);
        temp.Store.WriteFault = null;
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("b", [1, 0, 0, 0])]).WaitAsync(Timeout);

        Assert.True(temp.Store.WritesAvailable);
        Assert.Contains("b", temp.Store.GetDocuments("faq", ["a", "b"]).Select(d => d.Id));
    }

    [Fact]
    public async Task A_reopen_that_fails_is_retried_by_the_next_call_instead_of_failing_for_good()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]).WaitAsync(Timeout);
        int opens = 0;
        temp.Store.WriteFault = () => new IOException("No space left on device", 28);
        temp.Store.OpenFault = () =>
        {
            Interlocked.Increment(ref opens);
            return new IOException("No space left on device", 28);
        };

        await Assert.ThrowsAsync<StoreFullException>(() => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("b", [1, 0, 0, 0])]).WaitAsync(Timeout));
        await Assert.ThrowsAsync<StoreFullException>(() => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("c", [1, 0, 0, 0])]).WaitAsync(Timeout));
        Assert.Equal(2, opens);
        Assert.Throws<StoreUnavailableException>(() => temp.Store.GetDocuments("faq", ["a"]));

        temp.Store.WriteFault = null;
        temp.Store.OpenFault = null;
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("d", [1, 0, 0, 0])]).WaitAsync(Timeout);

        Assert.True(temp.Store.WritesAvailable);
        Assert.Equal(["a", "d"], temp.Store.GetDocuments("faq", ["a", "b", "c", "d"]).Select(d => d.Id));
    }

    [Fact]
    public async Task A_caller_error_rolls_back_without_reopening_or_marking_writes_unavailable()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);

        await Assert.ThrowsAsync<CollectionExistsException>(() => temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout));
        await Assert.ThrowsAsync<ArgumentException>(() => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0])]).WaitAsync(Timeout));

        Assert.Equal(0, temp.Store.ReopenCount);
        Assert.True(temp.Store.WritesAvailable);
    }

    [Fact]
    public async Task The_open_transactions_of_a_LiteDB_instance_are_reachable_so_a_broken_one_cannot_crash_the_finalizer_thread()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        using var database = new LiteDB.LiteDatabase(new MemoryStream());
        database.BeginTrans();
        database.GetCollection("t").Insert(new LiteDB.BsonDocument { ["_id"] = 1 });

        Assert.Single(Files.BrokenTransactions.Collect(database));
        database.Rollback();
    }

    [Fact]
    public void The_store_health_name_can_never_be_a_collection_name()
    {
        Assert.False(CollectionName.IsValid("krsbert.store"));
    }

    internal static DocumentWrite.Upsert Large(string id, int dimension, int chunks, int seed)
    {
        var random = new Random(seed);
        return TemporaryStore.Document(id, Enumerable.Range(0, chunks).Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble() + 0.01f).ToArray()).ToArray());
    }
}
