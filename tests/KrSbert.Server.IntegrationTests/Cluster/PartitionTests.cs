using System.Net;
using Grpc.Core;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Protos.V1;
using Npgsql;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// A network partition: one replica of a shard runs in a network namespace of its own (a <c>krsbert serve</c>
/// process), the other in this one. Its link goes down during a query loop: packets are dropped, nothing is reset,
/// so the router must give that replica up within the query's deadline and ask the other one.
/// </summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed class PartitionTests(PostgresCluster postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly string[] s_queries = ["where can I buy bread", "trains to the city", "art exhibition", "hiking up a hill", "coffee shop"];

    [NetworkNamespaceFact]
    public async Task A_replica_partitioned_during_200_queries_is_failed_over_within_each_deadline_and_no_query_fails()
    {
        await using NetworkNamespace partitioned = await NetworkNamespace.CreateAsync().WaitAsync(Timeout);
        await using NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        var local = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        // PostgreSQL listens on loopback only: the namespace reaches it through the pair's host address.
        await using var forwarder = new TcpForwarder(partitioned.HostAddress, new IPEndPoint(IPAddress.Parse(local.Host!), local.Port));
        var inside = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = partitioned.HostAddress, Port = forwarder.Port };
        string data = Path.Combine(Path.GetTempPath(), "krsbert-partitioned-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using ServerProcess far = await ServerProcess.StartInNamespaceAsync(
                partitioned.Name,
                partitioned.InnerAddress,
                data,
                Timeout,
                "--KrSbert:Cluster:Role=shard",
                $"--KrSbert:Cluster:Postgres={inside.ConnectionString}",
                "--KrSbert:Cluster:ShardCount=1",
                "--KrSbert:Cluster:Shard=0",
                "--KrSbert:Cluster:PollMilliseconds=200").WaitAsync(Timeout);
            await using TestServer near = await TestCluster.StartReplicaAsync(TestCluster.ShardSettings(database.ConnectionString, 1, 0)).WaitAsync(Timeout);
            await using TestServer router = await TestServer.StartAsync(new Dictionary<string, string?>
            {
                ["KrSbert:Cluster:Role"] = "router",
                ["KrSbert:Cluster:Postgres"] = database.ConnectionString,
                ["KrSbert:Cluster:ShardCount"] = "1",
                ["KrSbert:Cluster:PollMilliseconds"] = "200",
                ["KrSbert:Cluster:ShardAddresses:0"] = $"{far.Address},http://127.0.0.1:{near.Port}",
            }).WaitAsync(Timeout);

            var search = new Protos.V1.Search.SearchClient(router.Channel);
            await new Collections.CollectionsClient(router.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
            var upsert = new UpsertRequest { Collection = "docs" };
            upsert.Documents.AddRange(Enumerable.Range(0, 20).Select(n => new Document { Id = $"d{n:D2}", Text = $"Document {n} about {s_queries[n % s_queries.Length]}." }));
            string token = (await new Documents.DocumentsClient(router.Channel).UpsertAsync(upsert).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken;

            // Both replicas hold the documents before the loop, so either may answer any query.
            foreach (Grpc.Net.Client.GrpcChannel channel in (Grpc.Net.Client.GrpcChannel[])[far.Channel, near.Channel])
            {
                QueryResponse held = await new Protos.V1.Search.SearchClient(channel).QueryAsync(new QueryRequest { Collection = "docs__v1", Text = "bread", TopK = 20, Exact = true, ConsistencyToken = token }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
                Assert.Equal(20, held.Hits.Count);
            }

            int answered = 0, failed = 0;
            TimeSpan slowest = TimeSpan.Zero;
            TimeSpan deadline = TimeSpan.FromSeconds(10);
            for (int i = 0; i < 200; i++)
            {
                if (i == 50)
                {
                    await partitioned.PartitionAsync().WaitAsync(Timeout);
                }

                var started = System.Diagnostics.Stopwatch.StartNew();
                try
                {
                    QueryResponse response = await search.QueryAsync(new QueryRequest { Collection = "docs", Text = s_queries[i % s_queries.Length], TopK = 5 }, deadline: DateTime.UtcNow + deadline).ResponseAsync.WaitAsync(Timeout);
                    Assert.Equal(5, response.Hits.Count);
                    answered++;
                }
                catch (RpcException)
                {
                    failed++;
                }

                slowest = started.Elapsed > slowest ? started.Elapsed : slowest;
            }

            Assert.Equal((200, 0), (answered, failed));
            Assert.True(slowest < deadline, $"the slowest query took {slowest}");

            // The partition is real: the far replica cannot be reached at all now.
            RpcException cut = await Assert.ThrowsAsync<RpcException>(() => new Protos.V1.Search.SearchClient(far.Channel).QueryAsync(new QueryRequest { Collection = "docs__v1", Text = "bread", TopK = 1 }, deadline: DateTime.UtcNow.AddSeconds(3)).ResponseAsync).WaitAsync(Timeout);
            Assert.Contains(cut.StatusCode, (StatusCode[])[StatusCode.DeadlineExceeded, StatusCode.Unavailable]);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
