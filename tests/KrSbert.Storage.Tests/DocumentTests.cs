using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Storage.Tests;

public class DocumentTests
{
    [Fact]
    public async Task Upserted_documents_come_back_with_text_metadata_chunks_vectors_and_token_ids()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());

        var result = await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 2, 3, 4], [5, 6, 7, 8])]);
        temp.Reopen();

        var document = Assert.Single(temp.Store.GetDocuments("faq", ["a", "missing"]));
        Assert.Equal("text of a", document.Text);
        Assert.Equal("test", document.Metadata["source"]);
        Assert.Equal(2, document.Chunks.Count);
        Assert.Equal([5f, 6, 7, 8], document.Chunks[1].Vector);
        Assert.Equal([2, 101, 3], document.Chunks[1].TokenIds);
        Assert.Equal((10, 20), (document.Chunks[1].Start, document.Chunks[1].End));
        Assert.Equal(1, result.Sequence);
        Assert.Equal(1, document.Sequence);
    }

    [Fact]
    public async Task Upsert_replaces_delete_removes_and_each_advances_the_sequence()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0], [0, 1, 0, 0]), TemporaryStore.Document("b", [0, 0, 1, 0])]);

        var replaced = await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [0, 0, 0, 1])]);
        var deleted = await temp.Store.ApplyBatchAsync("faq", [new DocumentWrite.Delete("b"), new DocumentWrite.Delete("never")]);
        temp.Reopen();

        var a = Assert.Single(temp.Store.GetDocuments("faq", ["a", "b"]));
        Assert.Equal([0f, 0, 0, 1], Assert.Single(a.Chunks).Vector);
        Assert.Equal(3, replaced.Sequence);
        Assert.Equal(2, replaced.Changes[0].PreviousChunkCount);
        Assert.Equal(4, deleted.Sequence);
        Assert.Equal((1, 1), (deleted.Deleted, deleted.NotFound));
        var collection = temp.Store.GetCollection("faq")!;
        Assert.Equal((4L, 1L, 1L), (collection.Sequence, collection.DocumentCount, collection.ChunkCount));
        Assert.Equal([((ulong)a.Key << 16, 1f)], temp.Store.ScanVectors("faq").Select(v => (v.Key, v.Vector[3])));
    }

    [Fact]
    public async Task The_same_id_twice_in_a_batch_keeps_the_last()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());

        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0]), TemporaryStore.Document("a", [0, 1, 0, 0])]);

        Assert.Equal([0f, 1, 0, 0], temp.Store.GetDocuments("faq", ["a"])[0].Chunks[0].Vector);
        Assert.Equal(1, temp.Store.GetCollection("faq")!.DocumentCount);
        Assert.Single(temp.Store.ScanVectors("faq"));
    }

    [Fact]
    public async Task The_change_log_replays_every_change_after_a_sequence_in_order()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0]), TemporaryStore.Document("b", [0, 1, 0, 0])]);
        await temp.Store.ApplyBatchAsync("faq", [new DocumentWrite.Delete("a"), TemporaryStore.Document("b", [0, 0, 1, 0], [0, 0, 0, 1])]);

        var changes = temp.Store.ReadChangesAfter("faq", 1);

        Assert.Equal([2L, 3, 4], changes.Select(c => c.Sequence));
        Assert.Equal([ChangeKind.Upsert, ChangeKind.Delete, ChangeKind.Upsert], changes.Select(c => c.Kind));
        Assert.Equal((1, 2), (changes[2].PreviousChunkCount, changes[2].ChunkCount));
    }

    [Fact]
    public async Task A_batch_with_a_wrong_dimension_writes_nothing()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0]), TemporaryStore.Document("b", [1, 0, 0])]));

        Assert.Contains("3 dimensions", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, temp.Store.GetCollection("faq")!.Sequence);
        Assert.Empty(temp.Store.GetDocuments("faq", ["a", "b"]));
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public async Task An_empty_or_oversize_id_is_refused(string? id)
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());
        id ??= new string('x', 257);

        await Assert.ThrowsAsync<ArgumentException>(() => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document(id, [1, 0, 0, 0])]));

        Assert.Equal(0, temp.Store.GetCollection("faq")!.Sequence);
    }

    [Fact]
    public async Task Writing_to_an_unknown_collection_is_refused()
    {
        using var temp = new TemporaryStore();

        await Assert.ThrowsAsync<CollectionNotFoundException>(() => temp.Store.ApplyBatchAsync("nope", [TemporaryStore.Document("a", [1, 0, 0, 0])]));
    }

    [Fact]
    public async Task A_failed_database_instance_is_reopened_and_the_next_write_succeeds()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]);

        temp.Store.Database.Dispose();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("b", [1, 0, 0, 0])]));
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("c", [1, 0, 0, 0])]);

        Assert.Equal(1, temp.Store.ReopenCount);
        Assert.Equal(["a", "c"], temp.Store.GetDocuments("faq", ["a", "b", "c"]).Select(d => d.Id));
    }
}
