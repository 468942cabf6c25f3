using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Querying;
using KrSbert.Storage.Documents;

namespace KrSbert.Search.Tests;

/// <summary>One set of document and vector rules, applied before anything is written.</summary>
public class DocumentRulesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly float[] Zero = new float[8];
    private static readonly float[] Overflowing = [3e38f, 3e38f, 0, 0, 0, 0, 0, 0];

    [Fact]
    public async Task An_all_zero_vector_in_a_cosine_collection_is_refused_and_nothing_is_stored()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);

        var zero = await Assert.ThrowsAsync<InvalidDocumentsException>(() => temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("z", Zero)])).WaitAsync(Timeout);
        var overflow = await Assert.ThrowsAsync<InvalidDocumentsException>(() => temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("o", Overflowing)])).WaitAsync(Timeout);

        Assert.Equal("documents[0].vector", zero.ParamName);
        Assert.Contains("all zeros", zero.Message, StringComparison.Ordinal);
        Assert.Contains("norm overflows", overflow.Message, StringComparison.Ordinal);
        Assert.Empty(temp.Engine.GetDocuments("vectors", ["z", "o"]));
        var info = temp.Engine.GetCollection("vectors");
        Assert.Equal((0L, 0L, 0), (info.Record.Sequence, info.Record.DocumentCount, info.IndexedVectors));
        await temp.RestartAsync().WaitAsync(Timeout);
        Assert.Equal(0L, temp.Engine.GetCollection("vectors").Record.DocumentCount);
    }

    [Fact]
    public async Task A_zero_vector_is_allowed_where_the_metric_defines_it()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.Engine.CreateCollectionAsync(new CollectionDefinition { Name = "l2", Dimension = 8, Metric = Index.VectorMetric.L2 }).WaitAsync(Timeout);

        await temp.Engine.UpsertAsync("l2", [TemporaryEngine.VectorDocument("z", Zero)]).WaitAsync(Timeout);

        Assert.Equal("z", (await temp.Engine.SearchAsync("l2", new SearchRequest { Vector = Zero })).Hits[0].Id);
    }

    [Fact]
    public async Task A_streamed_batch_reports_the_zero_vector_and_stores_the_rest()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);

        var result = await temp.Engine.UpsertAsync("vectors", [
            TemporaryEngine.VectorDocument("ok", [1, 0, 0, 0, 0, 0, 0, 0]),
            TemporaryEngine.VectorDocument("z", Zero)], allOrNothing: false);

        Assert.Equal(["ok"], result.Ids);
        Assert.Equal((1, "z", "vector"), (result.Failures[0].Index, result.Failures[0].Id, result.Failures[0].Field));
        Assert.Equal(1, temp.Engine.GetCollection("vectors").IndexedVectors);
    }

    [Fact]
    public async Task Metadata_limits_are_checked_before_the_write()
    {
        var limits = new DocumentLimits { MaxMetadataKeys = 3, MaxMetadataKeyLength = 8, MaxMetadataValueLength = 10, MaxMetadataBytes = 29 };
        await using var temp = await TemporaryEngine.StartAsync(limits: limits).WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        float[] vector = [1, 0, 0, 0, 0, 0, 0, 0];

        async Task<Exception> Refused(Dictionary<string, string> metadata) =>
            await Assert.ThrowsAnyAsync<Exception>(() => temp.Engine.UpsertAsync("vectors", [new DocumentInput("m", "t", vector, metadata)])).WaitAsync(Timeout);

        var keys = await Refused(new() { ["a"] = "1", ["b"] = "2", ["c"] = "3", ["d"] = "4" }).WaitAsync(Timeout);
        var keyLength = await Refused(new() { ["a-very-long-key"] = "1" }).WaitAsync(Timeout);
        var valueLength = await Refused(new() { ["a"] = new string('x', 11) }).WaitAsync(Timeout);
        var bytes = await Refused(new() { ["a"] = "가나다", ["b"] = "라마바", ["c"] = "사아자" }).WaitAsync(Timeout);
        var emptyKey = await Refused(new() { [""] = "1" }).WaitAsync(Timeout);

        Assert.All([keys, keyLength, valueLength, bytes], e => Assert.IsType<LimitExceededException>(e));
        Assert.Equal("documents[0].metadata", ((LimitExceededException)keys).Field);
        Assert.Contains("4 keys; the limit is 3", keys.Message, StringComparison.Ordinal);
        Assert.Contains("the limit is 8", keyLength.Message, StringComparison.Ordinal);
        Assert.Contains("11 characters; the limit is 10", valueLength.Message, StringComparison.Ordinal);
        Assert.Contains("30 bytes of keys and values; the limit is 29", bytes.Message, StringComparison.Ordinal);
        Assert.Equal("documents[0].metadata", Assert.IsType<InvalidDocumentsException>(emptyKey).ParamName);
        Assert.Equal(0L, temp.Engine.GetCollection("vectors").Record.DocumentCount);
    }

    [Fact]
    public async Task Text_stored_beside_a_vector_has_the_text_limit()
    {
        await using var temp = await TemporaryEngine.StartAsync(limits: new DocumentLimits { MaxTextLength = 10 }).WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);

        var e = await Assert.ThrowsAsync<LimitExceededException>(() => temp.Engine.UpsertAsync("vectors", [new DocumentInput("t", new string('a', 11), [1, 0, 0, 0, 0, 0, 0, 0])])).WaitAsync(Timeout);

        Assert.Equal("documents[0].text", e.Field);
        Assert.Equal(0L, temp.Engine.GetCollection("vectors").Record.DocumentCount);
    }

    [Fact]
    public async Task Stored_vectors_the_index_refuses_are_skipped_and_counted_and_never_fail_the_open()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("good", [1, 0, 0, 0, 0, 0, 0, 0])]).WaitAsync(Timeout);
        // An older version stored what today's rules refuse; the store itself only checks lengths.
        await temp.Engine.Store.ApplyBatchAsync("vectors", [new DocumentWrite.Upsert("old-zero", "t", new Dictionary<string, string>(), [new StoredChunk(0, 1, [], Zero)])]).WaitAsync(Timeout);

        await temp.RestartAsync().WaitAsync(Timeout);
        var replayed = temp.Engine.GetCollection("vectors");
        var rebuilt = await temp.Engine.RebuildIndexAsync("vectors").WaitAsync(Timeout);

        Assert.Equal((CollectionState.Ready, 1L, 1), (replayed.State, replayed.SkippedDocuments, replayed.IndexedVectors));
        Assert.Equal((1L, 1), (rebuilt.SkippedDocuments, rebuilt.IndexedVectors));
        Assert.Equal(2L, rebuilt.Record.DocumentCount);
        Assert.Equal("good", (await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = [1, 0, 0, 0, 0, 0, 0, 0] })).Hits.Single().Id);

        // The count travels in the snapshot, and a valid version of the document takes it off.
        await temp.RestartAsync().WaitAsync(Timeout);
        Assert.Equal(1L, temp.Engine.GetCollection("vectors").SkippedDocuments);
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("old-zero", [0, 1, 0, 0, 0, 0, 0, 0])]).WaitAsync(Timeout);
        Assert.Equal((0L, 2), (temp.Engine.GetCollection("vectors").SkippedDocuments, temp.Engine.GetCollection("vectors").IndexedVectors));
    }

    [Fact]
    public async Task Values_f16_index_storage_cannot_hold_are_refused_before_the_write()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.Engine.CreateCollectionAsync(new CollectionDefinition { Name = "half", Dimension = 8, IndexStorage = Index.VectorStorage.F16 }).WaitAsync(Timeout);

        var large = await Assert.ThrowsAsync<InvalidDocumentsException>(() => temp.Engine.UpsertAsync("half", [TemporaryEngine.VectorDocument("l", [70_000f, 0, 0, 0, 0, 0, 0, 0])])).WaitAsync(Timeout);
        var tiny = await Assert.ThrowsAsync<InvalidDocumentsException>(() => temp.Engine.UpsertAsync("half", [TemporaryEngine.VectorDocument("t", [1e-9f, 0, 0, 0, 0, 0, 0, 0])])).WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("half", [TemporaryEngine.VectorDocument("ok", [60_000f, 1, 0, 0, 0, 0, 0, 0])]).WaitAsync(Timeout);

        Assert.Contains("f16", large.Message, StringComparison.Ordinal);
        Assert.Contains("f16", tiny.Message, StringComparison.Ordinal);
        Assert.Equal(1L, temp.Engine.GetCollection("half").Record.DocumentCount);
    }

    [Fact]
    public async Task A_NUL_in_a_metadata_key_is_invalid_input_and_the_store_keeps_serving()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);

        var e = await Assert.ThrowsAsync<InvalidDocumentsException>(() => temp.Engine.UpsertAsync("vectors", [new DocumentInput("n", "t", [1, 0, 0, 0, 0, 0, 0, 0], new Dictionary<string, string> { ["a\0b"] = "v" })])).WaitAsync(Timeout);

        Assert.Equal("documents[0].metadata", e.ParamName);
        Assert.True(temp.Engine.Store.WritesAvailable);
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("ok", [1, 0, 0, 0, 0, 0, 0, 0])]).WaitAsync(Timeout);
    }
}
