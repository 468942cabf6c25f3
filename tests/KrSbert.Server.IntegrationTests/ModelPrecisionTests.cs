using Grpc.Core;
using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Protos.V1;

namespace KrSbert.Server.IntegrationTests;

/// <summary>
/// A collection records the model precision its vectors came from, and a server running the other precision
/// refuses its text (FAILED_PRECONDITION naming model_precision) instead of mixing int8 and fp32 vectors.
/// </summary>
public sealed class ModelPrecisionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [QuantizerFact]
    public async Task A_collection_built_with_int8_refuses_text_from_an_fp32_server_and_serves_int8_again()
    {
        using var model = new TinyModelCopy(quantized: true);
        var settings = new Dictionary<string, string?> { ["KrSbert:ModelDirectory"] = model.Path, ["KrSbert:ModelPrecision"] = "int8" };
        await using var server = await TestServer.StartAsync(settings).WaitAsync(Timeout);
        var collections = new Collections.CollectionsClient(server.Channel);
        var documents = new Documents.DocumentsClient(server.Channel);
        var search = new Protos.V1.Search.SearchClient(server.Channel);
        CollectionInfo created = await collections.CreateAsync(new CreateCollectionRequest { Name = "ko" }).ResponseAsync.WaitAsync(Timeout);
        await documents.UpsertAsync(new UpsertRequest { Collection = "ko", Documents = { new Document { Id = "a", Text = "어린아이가 말을 타고 있다." } } }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal("int8", created.ModelPrecision);
        Assert.True(created.TextSearchable);

        settings["KrSbert:ModelPrecision"] = "fp32";
        await server.RestartAsync().WaitAsync(Timeout);
        collections = new Collections.CollectionsClient(server.Channel);
        documents = new Documents.DocumentsClient(server.Channel);
        search = new Protos.V1.Search.SearchClient(server.Channel);
        var info = await collections.GetAsync(new GetCollectionRequest { Name = "ko" }).ResponseAsync.WaitAsync(Timeout);
        var query = await Assert.ThrowsAsync<RpcException>(() => search.QueryAsync(new QueryRequest { Collection = "ko", Text = "아이가 말을 탄다" }).ResponseAsync.WaitAsync(Timeout));
        var upsert = await Assert.ThrowsAsync<RpcException>(() => documents.UpsertAsync(new UpsertRequest { Collection = "ko", Documents = { new Document { Id = "b", Text = "고양이가 잔다." } } }).ResponseAsync.WaitAsync(Timeout));
        var byVector = await search.QueryAsync(new QueryRequest { Collection = "ko", Vector = { Enumerable.Repeat(0.1f, 32) }, TopK = 1 }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal("int8", info.ModelPrecision);
        Assert.False(info.TextSearchable);
        foreach (RpcException refused in new[] { query, upsert })
        {
            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
            Assert.Contains("model_precision", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Contains("int8", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Contains("fp32", refused.Status.Detail, StringComparison.Ordinal);
        }

        Assert.Equal("a", Assert.Single(byVector.Hits).Id);

        settings["KrSbert:ModelPrecision"] = "int8";
        await server.RestartAsync().WaitAsync(Timeout);
        search = new Protos.V1.Search.SearchClient(server.Channel);
        var again = await search.QueryAsync(new QueryRequest { Collection = "ko", Text = "아이가 말을 탄다", TopK = 1 }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal("a", Assert.Single(again.Hits).Id);
    }

    [Fact]
    public async Task Creating_a_collection_of_the_other_precision_is_failed_precondition_and_an_unknown_one_invalid_argument()
    {
        await using var server = await TestServer.StartAsync().WaitAsync(Timeout);
        var collections = new Collections.CollectionsClient(server.Channel);

        var other = await Assert.ThrowsAsync<RpcException>(() => collections.CreateAsync(new CreateCollectionRequest { Name = "q", ModelPrecision = "int8" }).ResponseAsync.WaitAsync(Timeout));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => collections.CreateAsync(new CreateCollectionRequest { Name = "q", ModelPrecision = "fp16" }).ResponseAsync.WaitAsync(Timeout));
        CollectionInfo same = await collections.CreateAsync(new CreateCollectionRequest { Name = "q", ModelPrecision = "FP32" }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(StatusCode.FailedPrecondition, other.StatusCode);
        Assert.Contains("model_precision", other.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("fp32", other.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("model_precision 'fp16'", unknown.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("fp32", same.ModelPrecision);
        Assert.True(same.TextSearchable);
    }

    [Fact]
    public async Task The_server_writes_its_optimised_graph_cache_under_the_data_folder_by_default()
    {
        await using var server = await TestServer.StartAsync(new() { ["KrSbert:ModelCache"] = "" }).WaitAsync(Timeout);

        var cache = server.Host.Engine.Embedder!.GraphCache;

        Assert.NotNull(cache);
        Assert.StartsWith(Path.GetFullPath(Path.Combine(server.DataDirectory, "model-cache")), cache.Path, StringComparison.Ordinal);
        Assert.True(File.Exists(cache.Path));
    }
}
