using KrSbert.Storage.Documents;

namespace KrSbert.Storage.Tests;

public class DocumentTextTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Texts_by_key_follow_updates_and_deletes_and_leave_out_missing_keys()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0]), TemporaryStore.Document("b", [0, 1, 0, 0]), TemporaryStore.Document("c", [0, 0, 1, 0])]).WaitAsync(Timeout);
        Dictionary<string, long> keys = temp.Store.GetDocuments("faq", ["a", "b", "c"]).ToDictionary(d => d.Id, d => d.Key);

        await temp.Store.ApplyBatchAsync("faq", [new DocumentWrite.Upsert("a", "새 본문 a", new Dictionary<string, string>(), [new StoredChunk(0, 6, [2, 3], [0, 0, 0, 1])]), new DocumentWrite.Delete("b")]).WaitAsync(Timeout);
        long[] asked = [keys["c"], keys["b"], 999_999, keys["a"]];
        IReadOnlyDictionary<long, string> texts = temp.Store.GetTextsByKey("faq", asked);
        temp.Reopen();
        IReadOnlyDictionary<long, string> reopened = temp.Store.GetTextsByKey("faq", asked);

        var expected = new Dictionary<long, string> { [keys["a"]] = "새 본문 a", [keys["c"]] = "text of c" };
        Assert.Equal(expected.OrderBy(t => t.Key), texts.OrderBy(t => t.Key));
        Assert.Equal(expected.OrderBy(t => t.Key), reopened.OrderBy(t => t.Key));
        Assert.Empty(temp.Store.GetTextsByKey("faq", []));
    }

    [Fact]
    public async Task Documents_by_key_come_back_in_the_order_asked_with_text_and_metadata()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        await temp.Store.ApplyBatchAsync("faq", Enumerable.Range(0, 50).Select(i => (DocumentWrite)TemporaryStore.Document($"d{i}", [1, i, 0, 0])).ToList()).WaitAsync(Timeout);
        Dictionary<string, long> keys = temp.Store.GetDocuments("faq", ["d3", "d41", "d17"]).ToDictionary(d => d.Id, d => d.Key);

        var documents = temp.Store.GetDocumentsByKey("faq", [keys["d41"], 424_242, keys["d3"], keys["d17"]]);

        Assert.Equal(["d41", "d3", "d17"], documents.Select(d => d.Id));
        Assert.Equal(["text of d41", "text of d3", "text of d17"], documents.Select(d => d.Text));
        Assert.Equal("d3", documents[1].Metadata["id"]);
        Assert.Equal([2, 100, 3], Assert.Single(documents[2].Chunks).TokenIds);
    }

    [Fact]
    public async Task Texts_by_key_in_a_missing_collection_fail_with_collection_not_found()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);

        Assert.Throws<Collections.CollectionNotFoundException>(() => temp.Store.GetTextsByKey("other", [1]));
    }
}
