using Grpc.Core;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

/// <summary>Query modes over gRPC: hybrid hits carry each leg's standing, and bad options are INVALID_ARGUMENT naming the field.</summary>
public class HybridQueryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Lexical_and_hybrid_queries_answer_over_grpc_with_each_legs_rank_and_score()
    {
        await using var server = await TestServer.StartAsync().WaitAsync(Timeout);
        var search = new SearchApi.SearchClient(server.Channel);
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "c" }).ResponseAsync.WaitAsync(Timeout);
        await new Documents.DocumentsClient(server.Channel).UpsertAsync(new UpsertRequest
        {
            Collection = "c",
            Documents =
            {
                new Document { Id = "police", Text = "경찰은 현장에 도착했다" },
                new Document { Id = "weather", Text = "오늘은 날씨가 맑다" },
            },
        }).ResponseAsync.WaitAsync(Timeout);

        var lexical = await search.QueryAsync(new QueryRequest { Collection = "c", Text = "경찰", Mode = "lexical", Explain = true }).ResponseAsync.WaitAsync(Timeout);
        var hybrid = await search.QueryAsync(new QueryRequest { Collection = "c", Text = "경찰", Mode = "hybrid", Explain = true, Fusion = new Fusion { Method = "convex", Alpha = 0.3 } }).ResponseAsync.WaitAsync(Timeout);

        Hit only = Assert.Single(lexical.Hits);
        Assert.Equal(("police", 1u), (only.Id, only.Lexical.Rank));
        Assert.Equal(only.Score, only.Lexical.Score);
        Assert.Null(only.Dense);
        Assert.Equal("police", hybrid.Hits[0].Id);
        Assert.Equal(2, hybrid.Hits.Count);
        Assert.NotNull(hybrid.Hits[0].Dense);
        Assert.Null(hybrid.Hits[1].Lexical);
    }

    [Fact]
    public async Task Bad_query_options_are_invalid_argument_naming_the_field()
    {
        await using var server = await TestServer.StartAsync().WaitAsync(Timeout);
        var search = new SearchApi.SearchClient(server.Channel);
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "c" }).ResponseAsync.WaitAsync(Timeout);
        QueryRequest Hybrid() => new() { Collection = "c", Text = "경찰", Mode = "hybrid" };

        await StatusCodeTests.Expect(StatusCode.InvalidArgument, "mode", () => search.QueryAsync(new QueryRequest { Collection = "c", Text = "경찰", Mode = "fuzzy" }).ResponseAsync).WaitAsync(Timeout);
        await StatusCodeTests.Expect(StatusCode.InvalidArgument, "alpha", () => search.QueryAsync(Hybrid().With(r => r.Fusion = new Fusion { Method = "convex", Alpha = 1.5 })).ResponseAsync).WaitAsync(Timeout);
        await StatusCodeTests.Expect(StatusCode.InvalidArgument, "candidates", () => search.QueryAsync(Hybrid().With(r => r.Candidates = 0)).ResponseAsync).WaitAsync(Timeout);
        await StatusCodeTests.Expect(StatusCode.InvalidArgument, "dense_weight", () => search.QueryAsync(Hybrid().With(r => r.Fusion = new Fusion { DenseWeight = double.NaN })).ResponseAsync).WaitAsync(Timeout);
        await StatusCodeTests.Expect(StatusCode.InvalidArgument, "bm25_k1", () => search.QueryAsync(Hybrid().With(r => r.Bm25K1 = -1)).ResponseAsync).WaitAsync(Timeout);
        await StatusCodeTests.Expect(StatusCode.InvalidArgument, "fusion", () => search.QueryAsync(Hybrid().With(r => r.Fusion = new Fusion { Method = "max" })).ResponseAsync).WaitAsync(Timeout);
        await StatusCodeTests.Expect(StatusCode.InvalidArgument, "text", () => search.QueryAsync(new QueryRequest { Collection = "c", Mode = "lexical", Vector = { new float[384] } }).ResponseAsync).WaitAsync(Timeout);
    }
}

internal static class QueryRequestExtensions
{
    public static QueryRequest With(this QueryRequest request, Action<QueryRequest> change)
    {
        change(request);
        return request;
    }
}
