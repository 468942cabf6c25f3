using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Protos.V1;
using Npgsql;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>A router whose alias copy names a version its replicas no longer hold reads the alias afresh and answers from the serving one.</summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed class StaleAliasTests(PostgresCluster postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [PostgresFact]
    public async Task A_router_whose_copy_names_a_deleted_version_answers_from_the_collection_made_again_instead_of_not_found()
    {
        await using NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        // No grace: the replica drops version 1 as soon as it sees version 2 serve, long before the stale router refreshes.
        Dictionary<string, string?> shard = TestCluster.ShardSettings(database.ConnectionString, shards: 1, shard: 0);
        shard["KrSbert:Cluster:DrainedVersionGraceSeconds"] = "0";
        await using TestServer replica = await TestCluster.StartReplicaAsync(shard).WaitAsync(Timeout);
        Dictionary<string, string?> RouterSettings(int refreshMilliseconds)
        {
            Dictionary<string, string?> settings = TestCluster.RouterSettings(database.ConnectionString, $"http://127.0.0.1:{replica.Port}");
            settings["KrSbert:Cluster:AliasRefreshMilliseconds"] = $"{refreshMilliseconds}";
            return settings;
        }

        // The stale router refreshes its copy only every ten minutes: within this test, only a read-through refreshes it.
        await using TestServer stale = await TestServer.StartAsync(RouterSettings(600_000)).WaitAsync(Timeout);
        await using TestServer other = await TestServer.StartAsync(RouterSettings(200)).WaitAsync(Timeout);
        var otherCollections = new Collections.CollectionsClient(other.Channel);
        var staleSearch = new Protos.V1.Search.SearchClient(stale.Channel);
        await otherCollections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        await staleSearch.QueryAsync(new QueryRequest { Collection = "docs", Text = "first" }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);

        await otherCollections.DeleteAsync(new DeleteCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        await otherCollections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        UpsertResponse written = await new Documents.DocumentsClient(other.Channel)
            .UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "again", Text = "made again after the delete" } } }).ResponseAsync.WaitAsync(Timeout);
        var replicaCollections = new Collections.CollectionsClient(replica.Channel);
        using (var dropped = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while ((await replicaCollections.ListAsync(new ListCollectionsRequest(), cancellationToken: dropped.Token)).Collections.Any(c => c.Name == "docs__v1"))
            {
                await Task.Delay(50, dropped.Token);
            }
        }

        QueryResponse afterDrop = await staleSearch.QueryAsync(new QueryRequest { Collection = "docs", Text = "made again" }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);
        QueryResponse withToken = await staleSearch.QueryAsync(new QueryRequest { Collection = "docs", Text = "made again", ConsistencyToken = written.ConsistencyToken }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(2, ConsistencyToken.Parse(written.ConsistencyToken).Version);
        Assert.True(afterDrop.Hits.Count <= 1);
        Assert.Equal(["again"], withToken.Hits.Select(h => h.Id));
    }
}
