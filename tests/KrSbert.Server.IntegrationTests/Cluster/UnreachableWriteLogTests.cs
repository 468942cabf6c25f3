using Grpc.Core;
using Grpc.Health.V1;
using KrSbert.Protos.V1;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// A cluster process whose write log's PostgreSQL cannot be reached: the shard replica never reports ready nor
/// answers queries (it cannot know it is caught up), and the router answers writes and queries UNAVAILABLE.
/// </summary>
public sealed class UnreachableWriteLogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // Nothing listens on a port just released; Timeout=1 keeps each connection attempt short.
    private static string Unreachable => $"Host=127.0.0.1;Port={TestServer.FreePort()};Username=postgres;Timeout=1";

    [Fact]
    public async Task A_shard_replica_that_cannot_read_its_log_stays_not_serving_and_answers_queries_unavailable()
    {
        await using TestServer shard = await TestServer.StartAsync(new()
        {
            ["KrSbert:Cluster:Role"] = "shard",
            ["KrSbert:Cluster:Postgres"] = Unreachable,
            ["KrSbert:Cluster:ShardCount"] = "2",
            ["KrSbert:Cluster:Shard"] = "1",
            ["KrSbert:Cluster:PollMilliseconds"] = "100",
        }).WaitAsync(Timeout);

        // Its store is open (liveness serves) but it has not caught up, so readiness does not.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var health = new Health.HealthClient(shard.Channel);
        HealthCheckResponse ready = await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(Timeout);
        HealthCheckResponse live = await health.CheckAsync(new HealthCheckRequest { Service = "krsbert.live" }).ResponseAsync.WaitAsync(Timeout);
        RpcException query = await Assert.ThrowsAsync<RpcException>(() => new Protos.V1.Search.SearchClient(shard.Channel)
            .QueryAsync(new QueryRequest { Collection = "docs__v1", Vector = { 1f, 0f } }).ResponseAsync).WaitAsync(Timeout);

        Assert.Equal((HealthCheckResponse.Types.ServingStatus.NotServing, HealthCheckResponse.Types.ServingStatus.Serving), (ready.Status, live.Status));
        Assert.Equal(StatusCode.Unavailable, query.StatusCode);
        Assert.Contains("catching up", query.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_router_that_cannot_reach_the_write_log_answers_creates_writes_queries_and_collection_deletes_unavailable()
    {
        await using TestServer router = await TestServer.StartAsync(new()
        {
            ["KrSbert:Cluster:Role"] = "router",
            ["KrSbert:Cluster:Postgres"] = Unreachable,
            ["KrSbert:Cluster:ShardCount"] = "1",
            ["KrSbert:Cluster:ShardAddresses:0"] = $"http://127.0.0.1:{TestServer.FreePort()}",
            ["KrSbert:Cluster:PollMilliseconds"] = "100",
        }).WaitAsync(Timeout);

        RpcException create = await Assert.ThrowsAsync<RpcException>(() => new Collections.CollectionsClient(router.Channel)
            .CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync).WaitAsync(Timeout);
        RpcException upsert = await Assert.ThrowsAsync<RpcException>(() => new Documents.DocumentsClient(router.Channel)
            .UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "a", Text = "hello" } } }).ResponseAsync).WaitAsync(Timeout);
        RpcException query = await Assert.ThrowsAsync<RpcException>(() => new Protos.V1.Search.SearchClient(router.Channel)
            .QueryAsync(new QueryRequest { Collection = "docs", Text = "hello" }).ResponseAsync).WaitAsync(Timeout);

        RpcException drop = await Assert.ThrowsAsync<RpcException>(() => new Collections.CollectionsClient(router.Channel)
            .DeleteAsync(new DeleteCollectionRequest { Name = "docs" }).ResponseAsync).WaitAsync(Timeout);

        Assert.Equal([StatusCode.Unavailable, StatusCode.Unavailable, StatusCode.Unavailable, StatusCode.Unavailable], new[] { create.StatusCode, upsert.StatusCode, query.StatusCode, drop.StatusCode });
        Assert.All([create, upsert, query, drop], e => Assert.Contains("PostgreSQL", e.Status.Detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_router_routes_get_query_batch_and_delete_by_filter_which_are_unavailable_without_the_write_log()
    {
        await using TestServer router = await TestServer.StartAsync(new()
        {
            ["KrSbert:Cluster:Role"] = "router",
            ["KrSbert:Cluster:Postgres"] = Unreachable,
            ["KrSbert:Cluster:ShardCount"] = "1",
            ["KrSbert:Cluster:ShardAddresses:0"] = $"http://127.0.0.1:{TestServer.FreePort()}",
        }).WaitAsync(Timeout);
        var documents = new Documents.DocumentsClient(router.Channel);

        RpcException get = await Assert.ThrowsAsync<RpcException>(() => documents.GetAsync(new GetDocumentsRequest { Collection = "docs", Ids = { "a" } }).ResponseAsync).WaitAsync(Timeout);
        RpcException byFilter = await Assert.ThrowsAsync<RpcException>(() => documents.DeleteAsync(new DeleteDocumentsRequest
        {
            Collection = "docs",
            Filter = new Filter { Must = { new Condition { Key = "lang", AnyOf = { "ko" } } } },
        }).ResponseAsync).WaitAsync(Timeout);
        RpcException batch = await Assert.ThrowsAsync<RpcException>(() => new Protos.V1.Search.SearchClient(router.Channel)
            .QueryBatchAsync(new QueryBatchRequest { Queries = { new QueryRequest { Collection = "docs", Text = "a" } } }).ResponseAsync).WaitAsync(Timeout);

        // They are routed, so they resolve the collection's version in the write log first (a router started without
        // it has no alias copy to fall back on): not reading the router's empty local store.
        Assert.Equal([StatusCode.Unavailable, StatusCode.Unavailable, StatusCode.Unavailable], new[] { get.StatusCode, byFilter.StatusCode, batch.StatusCode });
        Assert.All([get, byFilter, batch], e => Assert.Contains("PostgreSQL", e.Status.Detail, StringComparison.Ordinal));
        Assert.StartsWith("queries[0]: ", batch.Status.Detail, StringComparison.Ordinal);
    }
}
