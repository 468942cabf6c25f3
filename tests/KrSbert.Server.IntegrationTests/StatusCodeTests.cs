using Grpc.Core;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

public class StatusCodeTests
{
    [Fact]
    public async Task Every_documented_status_code_is_produced_with_a_message_naming_the_problem()
    {
        await using var server = await TestServer.StartAsync(new() { ["KrSbert:Limits:MaxDocumentsPerRequest"] = "10", ["KrSbert:Limits:MaxTextLength"] = "1000", ["KrSbert:Limits:MaxMessageBytes"] = "1000000" });
        var collections = new Collections.CollectionsClient(server.Channel);
        var documents = new Documents.DocumentsClient(server.Channel);
        var search = new SearchApi.SearchClient(server.Channel);
        var embeddings = new Embeddings.EmbeddingsClient(server.Channel);
        await collections.CreateAsync(new CreateCollectionRequest { Name = "docs" });
        await collections.CreateAsync(new CreateCollectionRequest { Name = "small", Dimension = 4 });
        await documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "a", Text = "A man plays a flute." } } });

        await Expect(StatusCode.InvalidArgument, "name", () => collections.CreateAsync(new CreateCollectionRequest { Name = "" }).ResponseAsync);
        await Expect(StatusCode.InvalidArgument, "median", () => collections.CreateAsync(new CreateCollectionRequest { Name = "x", Pooling = "median" }).ResponseAsync);
        await Expect(StatusCode.InvalidArgument, "documents[1].text", () => documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "b", Text = "ok" }, new Document { Id = "c", Text = " " } } }).ResponseAsync);
        await Expect(StatusCode.InvalidArgument, "finite", () => documents.UpsertAsync(new UpsertRequest { Collection = "small", Documents = { new Document { Id = "n", Vector = { 1, float.NaN, 0, 0 } } } }).ResponseAsync);
        await Expect(StatusCode.InvalidArgument, "texts[0]", () => embeddings.EmbedAsync(new EmbedRequest { Texts = { "" } }).ResponseAsync);
        await Expect(StatusCode.NotFound, "nope", () => search.QueryAsync(new QueryRequest { Collection = "nope", Text = "x" }).ResponseAsync);
        await Expect(StatusCode.NotFound, "nope", () => collections.DeleteAsync(new DeleteCollectionRequest { Name = "nope" }).ResponseAsync);
        await Expect(StatusCode.AlreadyExists, "docs", () => collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync);
        await Expect(StatusCode.FailedPrecondition, "vector", () => search.QueryAsync(new QueryRequest { Collection = "docs", Vector = { 1, 2, 3 } }).ResponseAsync);
        await Expect(StatusCode.FailedPrecondition, "text", () => documents.UpsertAsync(new UpsertRequest { Collection = "small", Documents = { new Document { Id = "t", Text = "words" } } }).ResponseAsync);
        await Expect(StatusCode.ResourceExhausted, "top_k", () => search.QueryAsync(new QueryRequest { Collection = "docs", Text = "x", TopK = 10_001 }).ResponseAsync);
        await Expect(StatusCode.ResourceExhausted, "documents", () => documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { Enumerable.Range(0, 11).Select(i => new Document { Id = $"m{i}", Text = "t" }) } }).ResponseAsync);
        await Expect(StatusCode.ResourceExhausted, "limit is 1000", () => embeddings.EmbedAsync(new EmbedRequest { Texts = { new string('a', 1001) } }).ResponseAsync);
        await Expect(StatusCode.ResourceExhausted, "documents[0].text", () => documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "long", Text = new string('a', 1001) } } }).ResponseAsync);
        await Expect(StatusCode.ResourceExhausted, "", () => documents.UpsertAsync(new UpsertRequest { Collection = "small", Documents = { new Document { Id = "big", Text = new string('x', 2_000_000) } } }).ResponseAsync);
        await Expect(StatusCode.DeadlineExceeded, "", () => embeddings.EmbedAsync(new EmbedRequest { Texts = { Enumerable.Repeat("a long sentence to embed for a while", 200) } }, deadline: DateTime.UtcNow.AddMilliseconds(5)).ResponseAsync);

        ((Storage.DocumentStore)server.Host.Engine.Store).Database.Dispose();
        await Expect(StatusCode.Unavailable, "reopened", () => documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "u", Text = "after a failure" } } }).ResponseAsync);
        await documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "u", Text = "after a failure" } } });

        var info = await collections.GetAsync(new GetCollectionRequest { Name = "docs" });
        Assert.Equal(2ul, info.Documents);
    }

    [Fact]
    public async Task Calls_beyond_the_concurrency_limit_are_resource_exhausted()
    {
        await using var server = await TestServer.StartAsync(new() { ["KrSbert:Limits:MaxConcurrentRequests"] = "1" });
        var documents = new Documents.DocumentsClient(server.Channel);
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "c" });

        using var open = documents.Ingest();
        await open.RequestStream.WriteAsync(new IngestRequest { Collection = "c", Document = new Document { Id = "1", Text = "first" } });
        await Task.Delay(200);

        await Expect(StatusCode.ResourceExhausted, "concurrent", () => new Collections.CollectionsClient(server.Channel).ListAsync(new ListCollectionsRequest()).ResponseAsync);
        await open.RequestStream.CompleteAsync();
        Assert.Equal(1ul, (await open).Stored);
    }

    internal static async Task Expect(StatusCode code, string inMessage, Func<Task> call, bool topKZero = false)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, error.StatusCode);
        Assert.Contains(inMessage, error.Status.Detail, StringComparison.Ordinal);
        Assert.False(topKZero && error.Status.Detail.Length == 0);
    }
}
