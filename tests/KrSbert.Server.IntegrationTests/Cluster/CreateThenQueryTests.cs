using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Protos.V1;
using Npgsql;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// A collection created through a router is there for the next call, as on a single node, though shard replicas learn
/// of it only at their next alias read.
/// </summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed class CreateThenQueryTests(PostgresCluster postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [PostgresFact]
    public async Task A_query_and_a_collection_read_right_after_a_routed_create_answer_empty_instead_of_not_found()
    {
        await using NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        // Replicas read the alias table every 1.5 s: a call right after the create comes long before their next read.
        Dictionary<string, string?> shard = TestCluster.ShardSettings(database.ConnectionString, shards: 1, shard: 0);
        shard["KrSbert:Cluster:PollMilliseconds"] = "1500";
        await using TestServer replica = await TestCluster.StartReplicaAsync(shard).WaitAsync(Timeout);
        await using TestServer router = await TestServer.StartAsync(TestCluster.RouterSettings(database.ConnectionString, $"http://127.0.0.1:{replica.Port}")).WaitAsync(Timeout);

        for (int round = 0; round < 3; round++)
        {
            string name = $"docs{round}";
            await new Collections.CollectionsClient(router.Channel).CreateAsync(new CreateCollectionRequest { Name = name }).ResponseAsync.WaitAsync(Timeout);
            QueryResponse found = await new Protos.V1.Search.SearchClient(router.Channel)
                .QueryAsync(new QueryRequest { Collection = name, Text = "anything at all" }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);
            Protos.V1.CollectionInfo info = await new Collections.CollectionsClient(router.Channel)
                .GetAsync(new GetCollectionRequest { Name = name }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);

            Assert.Empty(found.Hits);
            Assert.Equal((name, 0UL), (info.Name, info.Documents));
        }
    }
}
