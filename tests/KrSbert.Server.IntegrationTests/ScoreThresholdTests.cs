using Grpc.Core;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

public class ScoreThresholdTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Query_and_query_batch_refuse_a_score_threshold_that_is_not_finite()
    {
        await using var server = await TestServer.StartAsync().WaitAsync(Timeout);
        var search = new SearchApi.SearchClient(server.Channel);
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        await new Documents.DocumentsClient(server.Channel).UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "a", Text = "A man plays a flute." } } }).ResponseAsync.WaitAsync(Timeout);

        var errors = new List<RpcException>();
        foreach (float threshold in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            errors.Add(await Assert.ThrowsAsync<RpcException>(() => search.QueryAsync(new QueryRequest { Collection = "docs", Text = "flute", ScoreThreshold = threshold }).ResponseAsync.WaitAsync(Timeout)));
        }

        var good = new QueryRequest { Collection = "docs", Text = "flute", ScoreThreshold = 0.1f };
        var bad = new QueryRequest { Collection = "docs", Text = "flute", ScoreThreshold = float.NaN };
        errors.Add(await Assert.ThrowsAsync<RpcException>(() => search.QueryBatchAsync(new QueryBatchRequest { Queries = { good, bad } }).ResponseAsync.WaitAsync(Timeout)));
        Assert.Contains("queries[1]: score_threshold is NaN", errors[^1].Status.Detail, StringComparison.Ordinal);
        var answered = await search.QueryBatchAsync(new QueryBatchRequest { Queries = { good } }).ResponseAsync.WaitAsync(Timeout);

        Assert.All(errors, e =>
        {
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains("score_threshold", e.Status.Detail, StringComparison.Ordinal);
        });
        Assert.Equal("a", Assert.Single(Assert.Single(answered.Results).Hits).Id);
    }
}
