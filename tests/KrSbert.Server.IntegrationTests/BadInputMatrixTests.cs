using Grpc.Core;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

/// <summary>
/// Every RPC's bad input: each case gets its status, a message naming the field, and changes nothing stored.
/// The cases run against one server; every failed expectation is listed together.
/// </summary>
public class BadInputMatrixTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private sealed record Case(string Name, StatusCode Status, string Field, Func<Task> Call);

    [Fact]
    public async Task Each_bad_request_gets_its_status_a_message_naming_the_field_and_changes_nothing()
    {
        await using var server = await TestServer.StartAsync(new()
        {
            ["KrSbert:Limits:MaxDocumentsPerRequest"] = "5",
            ["KrSbert:Limits:MaxTextLength"] = "200",
            ["KrSbert:Limits:MaxBatchItems"] = "3",
            ["KrSbert:Limits:MaxMetadataKeys"] = "3",
            ["KrSbert:Limits:MaxMetadataKeyLength"] = "10",
            ["KrSbert:Limits:MaxMetadataValueLength"] = "20",
            ["KrSbert:Limits:MaxMetadataBytes"] = "40",
        });
        var collections = new Collections.CollectionsClient(server.Channel);
        var documents = new Documents.DocumentsClient(server.Channel);
        var search = new SearchApi.SearchClient(server.Channel);
        var embeddings = new Embeddings.EmbeddingsClient(server.Channel);
        await collections.CreateAsync(new CreateCollectionRequest { Name = "vec", Dimension = 4 }).ResponseAsync.WaitAsync(Timeout);
        await collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        await collections.CreateAsync(new CreateCollectionRequest { Name = "half", Dimension = 4, IndexStorage = IndexStorage.F16 }).ResponseAsync.WaitAsync(Timeout);
        await documents.UpsertAsync(new UpsertRequest { Collection = "vec", Documents = { new Document { Id = "a", Vector = { 1, 0, 0, 0 }, Metadata = { ["k"] = "v" } } } }).ResponseAsync.WaitAsync(Timeout);
        await documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "a", Text = "A man plays a flute." } } }).ResponseAsync.WaitAsync(Timeout);

        Task Create(CreateCollectionRequest request) => collections.CreateAsync(request).ResponseAsync;
        Task Upsert(params Document[] docs) => documents.UpsertAsync(new UpsertRequest { Collection = "vec", Documents = { docs } }).ResponseAsync;
        Task Query(QueryRequest request) => search.QueryAsync(request).ResponseAsync;
        async Task Ingest(params IngestRequest[] messages)
        {
            using var call = documents.Ingest();
            foreach (IngestRequest message in messages)
            {
                await call.RequestStream.WriteAsync(message);
            }

            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        }

        Document Vector(params float[] values) => new() { Id = "new", Vector = { values } };
        Document WithMetadata(Dictionary<string, string> metadata) => new() { Id = "new", Vector = { 0, 1, 0, 0 }, Metadata = { metadata } };
        var condition = new Filter { Must = { new Condition { Key = "k", AnyOf = { "v" } } } };

        Case[] cases =
        [
            new("create: empty name", StatusCode.InvalidArgument, "name", () => Create(new() { Name = "" })),
            new("create: dot in name", StatusCode.InvalidArgument, "name", () => Create(new() { Name = "a.b" })),
            new("create: name of 65", StatusCode.InvalidArgument, "name", () => Create(new() { Name = new string('n', 65) })),
            new("create: taken name", StatusCode.AlreadyExists, "vec", () => Create(new() { Name = "vec", Dimension = 4 })),
            new("create: unknown pooling", StatusCode.InvalidArgument, "pooling", () => Create(new() { Name = "x", Pooling = "median" })),
            new("create: unknown metric", StatusCode.InvalidArgument, "metric", () => Create(new() { Name = "x", Metric = (Metric)99 })),
            new("create: unknown storage", StatusCode.InvalidArgument, "index_storage", () => Create(new() { Name = "x", IndexStorage = (IndexStorage)99 })),
            new("create: m 1", StatusCode.InvalidArgument, "m", () => Create(new() { Name = "x", M = 1 })),
            new("create: ef_construction 0", StatusCode.InvalidArgument, "ef_construction", () => Create(new() { Name = "x", EfConstruction = 0 })),
            new("create: ef_search 0", StatusCode.InvalidArgument, "ef_search", () => Create(new() { Name = "x", EfSearch = 0 })),
            new("create: chunk_tokens 0", StatusCode.InvalidArgument, "chunk_tokens", () => Create(new() { Name = "x", ChunkTokens = 0 })),
            new("create: chunk_overlap too big", StatusCode.InvalidArgument, "chunk_overlap", () => Create(new() { Name = "x", ChunkTokens = 64, ChunkOverlap = 64 })),
            new("create: dimension 0", StatusCode.InvalidArgument, "dimension", () => Create(new() { Name = "x", Dimension = 0 })),
            new("create: bm25_k1 below 0", StatusCode.InvalidArgument, "bm25_k1", () => Create(new() { Name = "x", Bm25K1 = -0.1 })),
            new("create: bm25_k1 NaN", StatusCode.InvalidArgument, "bm25_k1", () => Create(new() { Name = "x", Bm25K1 = double.NaN })),
            new("create: bm25_b above 1", StatusCode.InvalidArgument, "bm25_b", () => Create(new() { Name = "x", Bm25B = 1.01 })),
            new("create: bm25_b below 0", StatusCode.InvalidArgument, "bm25_b", () => Create(new() { Name = "x", Bm25B = -0.5 })),
            new("create: bm25_b NaN", StatusCode.InvalidArgument, "bm25_b", () => Create(new() { Name = "x", Bm25B = double.NaN })),
            new("get: unknown collection", StatusCode.NotFound, "nope", () => collections.GetAsync(new() { Name = "nope" }).ResponseAsync),
            new("delete: unknown collection", StatusCode.NotFound, "nope", () => collections.DeleteAsync(new() { Name = "nope" }).ResponseAsync),
            new("rebuild: unknown collection", StatusCode.NotFound, "nope", () => collections.RebuildAsync(new() { Name = "nope" }).ResponseAsync),
            new("upsert: unknown collection", StatusCode.NotFound, "nope", () => documents.UpsertAsync(new() { Collection = "nope", Documents = { Vector(1, 0, 0, 0) } }).ResponseAsync),
            new("upsert: wrong dimension", StatusCode.InvalidArgument, "documents[0].vector", () => Upsert(Vector(1, 0, 0))),
            new("upsert: NaN element", StatusCode.InvalidArgument, "documents[0].vector", () => Upsert(Vector(1, float.NaN, 0, 0))),
            new("upsert: infinite element", StatusCode.InvalidArgument, "documents[0].vector", () => Upsert(Vector(1, float.PositiveInfinity, 0, 0))),
            new("upsert: zero vector under cosine", StatusCode.InvalidArgument, "documents[0].vector", () => Upsert(Vector(0, 0, 0, 0))),
            new("upsert: norm overflow", StatusCode.InvalidArgument, "documents[0].vector", () => Upsert(Vector(3e38f, 3e38f, 0, 0))),
            new("upsert: second document bad", StatusCode.InvalidArgument, "documents[1].vector", () => Upsert(new Document { Id = "ok", Vector = { 1, 0, 0, 0 } }, Vector(0, 0, 0, 0))),
            new("upsert: neither text nor vector", StatusCode.InvalidArgument, "documents[0].text", () => documents.UpsertAsync(new() { Collection = "docs", Documents = { new Document { Id = "e" } } }).ResponseAsync),
            new("upsert: whitespace text", StatusCode.InvalidArgument, "documents[0].text", () => documents.UpsertAsync(new() { Collection = "docs", Documents = { new Document { Id = "e", Text = "  " } } }).ResponseAsync),
            new("upsert: text over the limit", StatusCode.ResourceExhausted, "documents[0].text", () => documents.UpsertAsync(new() { Collection = "docs", Documents = { new Document { Id = "e", Text = new string('a', 201) } } }).ResponseAsync),
            new("upsert: text beside a vector over the limit", StatusCode.ResourceExhausted, "documents[0].text", () => Upsert(new Document { Id = "t", Text = new string('a', 201), Vector = { 1, 0, 0, 0 } })),
            new("upsert: id over the limit", StatusCode.ResourceExhausted, "documents[0].id", () => Upsert(new Document { Id = new string('i', 257), Vector = { 1, 0, 0, 0 } })),
            new("upsert: empty metadata key", StatusCode.InvalidArgument, "documents[0].metadata", () => Upsert(WithMetadata(new() { [""] = "v" }))),
            new("upsert: NUL in a metadata key", StatusCode.InvalidArgument, "documents[0].metadata", () => Upsert(WithMetadata(new() { ["a\0b"] = "v" }))),
            new("upsert: value beyond f16 storage", StatusCode.InvalidArgument, "documents[0].vector", () => documents.UpsertAsync(new() { Collection = "half", Documents = { Vector(70_000f, 0, 0, 0) } }).ResponseAsync),
            new("query: score_threshold NaN", StatusCode.InvalidArgument, "score_threshold", () => Query(new() { Collection = "vec", Vector = { 1, 0, 0, 0 }, ScoreThreshold = float.NaN })),
            new("query: score_threshold infinite", StatusCode.InvalidArgument, "score_threshold", () => Query(new() { Collection = "vec", Vector = { 1, 0, 0, 0 }, ScoreThreshold = float.NegativeInfinity })),
            new("query batch: NaN threshold in the second query", StatusCode.InvalidArgument, "queries[1]: score_threshold", () => search.QueryBatchAsync(new() { Queries = { new QueryRequest { Collection = "vec", Vector = { 1, 0, 0, 0 } }, new QueryRequest { Collection = "vec", Vector = { 1, 0, 0, 0 }, ScoreThreshold = float.NaN } } }).ResponseAsync),
            new("upsert: too many metadata keys", StatusCode.ResourceExhausted, "documents[0].metadata", () => Upsert(WithMetadata(new() { ["a"] = "1", ["b"] = "2", ["c"] = "3", ["d"] = "4" }))),
            new("upsert: metadata key too long", StatusCode.ResourceExhausted, "documents[0].metadata", () => Upsert(WithMetadata(new() { ["k12345678901"] = "v" }))),
            new("upsert: metadata value too long", StatusCode.ResourceExhausted, "documents[0].metadata", () => Upsert(WithMetadata(new() { ["k"] = new string('v', 21) }))),
            new("upsert: metadata bytes over the limit", StatusCode.ResourceExhausted, "documents[0].metadata", () => Upsert(WithMetadata(new() { ["a"] = "가나다라마바", ["b"] = "가나다라마바", ["c"] = "가" }))),
            new("upsert: too many documents", StatusCode.ResourceExhausted, "documents", () => Upsert([.. Enumerable.Range(0, 6).Select(i => new Document { Id = $"m{i}", Vector = { 1, 0, 0, 0 } })])),
            new("upsert: text into a vectors-only collection", StatusCode.FailedPrecondition, "text", () => Upsert(new Document { Id = "t", Text = "words" })),
            new("ingest: first message without a collection", StatusCode.InvalidArgument, "collection", () => Ingest(new IngestRequest { Document = Vector(1, 0, 0, 0) })),
            new("ingest: later message names another collection", StatusCode.InvalidArgument, "collection", () => Ingest(new IngestRequest { Collection = "vec", Document = Vector(1, 0, 0, 0) }, new IngestRequest { Collection = "docs", Document = Vector(1, 0, 0, 0) })),
            new("ingest: unknown collection", StatusCode.NotFound, "nope", () => Ingest(new IngestRequest { Collection = "nope", Document = Vector(1, 0, 0, 0) })),
            new("get: documents of an unknown collection", StatusCode.NotFound, "nope", () => documents.GetAsync(new() { Collection = "nope", Ids = { "a" } }).ResponseAsync),
            new("get: too many ids", StatusCode.ResourceExhausted, "ids", () => documents.GetAsync(new() { Collection = "vec", Ids = { Enumerable.Range(0, 6).Select(i => $"i{i}") } }).ResponseAsync),
            new("delete: neither ids nor filter", StatusCode.InvalidArgument, "ids or filter", () => documents.DeleteAsync(new() { Collection = "vec" }).ResponseAsync),
            new("delete: both ids and filter", StatusCode.InvalidArgument, "ids or filter", () => documents.DeleteAsync(new() { Collection = "vec", Ids = { "a" }, Filter = condition }).ResponseAsync),
            new("delete: empty id", StatusCode.InvalidArgument, "ids[0]", () => documents.DeleteAsync(new() { Collection = "vec", Ids = { "" } }).ResponseAsync),
            new("delete: filter with an empty key", StatusCode.InvalidArgument, "filter", () => documents.DeleteAsync(new() { Collection = "vec", Filter = new Filter { Must = { new Condition { Key = "", AnyOf = { "v" } } } } }).ResponseAsync),
            new("delete: too many ids", StatusCode.ResourceExhausted, "ids", () => documents.DeleteAsync(new() { Collection = "vec", Ids = { Enumerable.Range(0, 6).Select(i => $"i{i}") } }).ResponseAsync),
            new("delete: unknown collection", StatusCode.NotFound, "nope", () => documents.DeleteAsync(new() { Collection = "nope", Ids = { "a" } }).ResponseAsync),
            new("list ids: filter with an empty key", StatusCode.InvalidArgument, "filter", () => documents.ListIdsAsync(new() { Collection = "vec", Filter = new Filter { Must = { new Condition { Key = "", AnyOf = { "v" } } } } }).ResponseAsync),
            new("list ids: limit over the documents per request", StatusCode.ResourceExhausted, "limit", () => documents.ListIdsAsync(new() { Collection = "vec", Limit = 6 }).ResponseAsync),
            new("list ids: unknown collection", StatusCode.NotFound, "nope", () => documents.ListIdsAsync(new() { Collection = "nope" }).ResponseAsync),
            new("query: neither text nor vector", StatusCode.InvalidArgument, "text", () => Query(new() { Collection = "vec" })),
            new("query: both text and vector", StatusCode.InvalidArgument, "vector", () => Query(new() { Collection = "docs", Text = "x", Vector = { 1, 0, 0, 0 } })),
            new("query: top_k over the limit", StatusCode.ResourceExhausted, "top_k", () => Query(new() { Collection = "vec", Vector = { 1, 0, 0, 0 }, TopK = 10_001 })),
            new("query: ef_search 0", StatusCode.InvalidArgument, "ef_search", () => Query(new() { Collection = "vec", Vector = { 1, 0, 0, 0 }, EfSearch = 0 })),
            new("query: wrong dimension", StatusCode.FailedPrecondition, "vector", () => Query(new() { Collection = "vec", Vector = { 1, 0 } })),
            new("query: NaN element", StatusCode.InvalidArgument, "vector", () => Query(new() { Collection = "vec", Vector = { 1, float.NaN, 0, 0 } })),
            new("query: zero vector under cosine", StatusCode.InvalidArgument, "vector", () => Query(new() { Collection = "vec", Vector = { 0, 0, 0, 0 } })),
            new("query: filter condition without values", StatusCode.InvalidArgument, "filter", () => Query(new() { Collection = "vec", Vector = { 1, 0, 0, 0 }, Filter = new Filter { Must = { new Condition { Key = "k" } } } })),
            new("query: unknown collection", StatusCode.NotFound, "nope", () => Query(new() { Collection = "nope", Vector = { 1, 0, 0, 0 } })),
            new("query batch: too many queries", StatusCode.ResourceExhausted, "queries", () => search.QueryBatchAsync(new() { Queries = { Enumerable.Range(0, 4).Select(_ => new QueryRequest { Collection = "vec", Vector = { 1, 0, 0, 0 } }) } }).ResponseAsync),
            new("query batch: a bad query", StatusCode.InvalidArgument, "queries[1]", () => search.QueryBatchAsync(new() { Queries = { new QueryRequest { Collection = "vec", Vector = { 1, 0, 0, 0 } }, new QueryRequest { Collection = "vec", Vector = { 1, 0, 0, 0 }, EfSearch = 0 } } }).ResponseAsync),
            new("embed: empty text", StatusCode.InvalidArgument, "texts[0]", () => embeddings.EmbedAsync(new() { Texts = { "" } }).ResponseAsync),
            new("embed: no texts", StatusCode.InvalidArgument, "texts", () => embeddings.EmbedAsync(new()).ResponseAsync),
            new("embed: unknown pooling", StatusCode.InvalidArgument, "pooling", () => embeddings.EmbedAsync(new() { Texts = { "x" }, Pooling = "median" }).ResponseAsync),
            new("embed: too many texts", StatusCode.ResourceExhausted, "texts", () => embeddings.EmbedAsync(new() { Texts = { "a", "b", "c", "d" } }).ResponseAsync),
            new("embed: max_seq_length 1", StatusCode.InvalidArgument, "max_seq_length", () => embeddings.EmbedAsync(new() { Texts = { "x" }, MaxSeqLength = 1 }).ResponseAsync),
            new("tokenize: empty text", StatusCode.InvalidArgument, "text", () => embeddings.TokenizeAsync(new() { Text = "" }).ResponseAsync),
            new("token embeddings: text over the limit", StatusCode.ResourceExhausted, "text", () => embeddings.TokenEmbeddingsAsync(new() { Text = new string('a', 201) }).ResponseAsync),
        ];

        var problems = new List<string>();
        foreach (Case bad in cases)
        {
            string before = await StateAsync(collections);
            RpcException? error = null;
            try
            {
                await bad.Call().WaitAsync(Timeout);
            }
            catch (RpcException e)
            {
                error = e;
            }

            string after = await StateAsync(collections);
            if (error is null)
            {
                problems.Add($"{bad.Name}: succeeded");
            }
            else if (error.StatusCode != bad.Status || !error.Status.Detail.Contains(bad.Field, StringComparison.Ordinal))
            {
                problems.Add($"{bad.Name}: {error.StatusCode} \"{error.Status.Detail}\" (expected {bad.Status} naming '{bad.Field}')");
            }

            if (before != after)
            {
                problems.Add($"{bad.Name}: changed the store ({before} → {after})");
            }
        }

        Assert.True(cases.Length >= 40, $"{cases.Length} cases");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static async Task<string> StateAsync(Collections.CollectionsClient collections)
    {
        var list = await collections.ListAsync(new ListCollectionsRequest()).ResponseAsync.WaitAsync(Timeout);
        return string.Join("; ", list.Collections.Select(c => $"{c.Name} {c.Documents}/{c.IndexedVectors}@{c.Sequence}"));
    }
}
