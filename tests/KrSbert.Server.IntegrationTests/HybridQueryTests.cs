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
    public async Task A_collections_bm25_k1_and_b_are_shown_and_score_its_queries_unless_a_query_sets_its_own()
    {
        await using var server = await TestServer.StartAsync().WaitAsync(Timeout);
        var collections = new Collections.CollectionsClient(server.Channel);
        var search = new SearchApi.SearchClient(server.Channel);
        CollectionInfo created = await collections.CreateAsync(new CreateCollectionRequest { Name = "tuned", Bm25K1 = 1.2, Bm25B = 0.75 }).ResponseAsync.WaitAsync(Timeout);
        CollectionInfo plain = await collections.CreateAsync(new CreateCollectionRequest { Name = "plain" }).ResponseAsync.WaitAsync(Timeout);
        var documents = new Documents.DocumentsClient(server.Channel);
        foreach (string name in new[] { "tuned", "plain" })
        {
            await documents.UpsertAsync(new UpsertRequest
            {
                Collection = name,
                Documents = { new Document { Id = "d1", Text = "경찰 사건" }, new Document { Id = "d2", Text = "경찰은 아이를" }, new Document { Id = "d3", Text = "apple pie" } },
            }).ResponseAsync.WaitAsync(Timeout);
        }

        QueryRequest Lexical(string collection) => new() { Collection = collection, Text = "경찰", Mode = "lexical" };
        var tuned = await search.QueryAsync(Lexical("tuned")).ResponseAsync.WaitAsync(Timeout);
        var plainDefault = await search.QueryAsync(Lexical("plain")).ResponseAsync.WaitAsync(Timeout);
        var overridden = await search.QueryAsync(Lexical("plain").With(r => { r.Bm25K1 = 1.2; r.Bm25B = 0.75; })).ResponseAsync.WaitAsync(Timeout);
        var kOnly = await search.QueryAsync(Lexical("tuned").With(r => r.Bm25K1 = 0.9)).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal((1.2, 0.75), (created.Bm25K1, created.Bm25B));
        Assert.Equal((0.9, 0.4), (plain.Bm25K1, plain.Bm25B));
        CollectionInfo got = await collections.GetAsync(new GetCollectionRequest { Name = "tuned" }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal((1.2, 0.75), (got.Bm25K1, got.Bm25B));
        // Terms: d1 has 6, d2 has 10 (average 6 over three chunks); 경, 경찰 and 찰 are each in 2 of 3 chunks once.
        double idf = Math.Log(1 + ((3 - 2 + 0.5) / (2 + 0.5)));
        double Score(double k1, double b, int length) => 3 * idf * (k1 + 1) / (1 + (k1 * (1 - b + (b * length / 6.0))));
        Assert.Equal(Score(1.2, 0.75, 6), tuned.Hits[0].Score, 4);
        Assert.Equal(Score(1.2, 0.75, 10), tuned.Hits[1].Score, 4);
        Assert.Equal(Score(0.9, 0.4, 10), plainDefault.Hits[1].Score, 4);
        Assert.Equal(tuned.Hits.Select(h => h.Score), overridden.Hits.Select(h => h.Score));
        // A query's k1 alone keeps the collection's b.
        Assert.Equal(Score(0.9, 0.75, 10), kOnly.Hits[1].Score, 4);
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
        await StatusCodeTests.Expect(StatusCode.InvalidArgument, "bm25_b", () => search.QueryAsync(Hybrid().With(r => r.Bm25B = double.NaN)).ResponseAsync).WaitAsync(Timeout);
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
