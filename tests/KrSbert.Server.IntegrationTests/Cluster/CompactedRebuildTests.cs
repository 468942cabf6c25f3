using Grpc.Core;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.WriteLog;
using KrSbert.Protos.V1;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// The builder role rebuilds a collection whose log was compacted past its snapshots: version 2 is read from version
/// 1's snapshots and the log after them, and the router answers as a single node with the same documents.
/// </summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed class CompactedRebuildTests(PostgresCluster postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly string[] s_subjects = ["The library", "A small bakery", "The river", "Our new train", "The mountain trail", "A quiet cafe"];
    private static readonly string[] s_predicates = ["opens early on weekdays", "sells fresh bread", "floods after heavy rain", "runs every ten minutes", "is steep near the top", "has good coffee"];
    private static readonly string[] s_queries = ["where can I buy bread", "trains to the city", "hiking up a hill", "coffee shop"];

    [PostgresFact]
    public async Task A_rebuild_of_a_log_compacted_past_its_snapshots_answers_as_a_single_node_with_the_same_documents()
    {
        string snapshots = Path.Combine(Path.GetTempPath(), "krsbert-compacted-rebuild-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
            await using TestServer single = await TestServer.StartAsync().WaitAsync(Timeout);
            PostgresWriteLog log = await PostgresWriteLog.OpenAsync(cluster.Database).WaitAsync(Timeout);
            foreach (TestServer server in new[] { cluster.Router, single })
            {
                await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
                await new Documents.DocumentsClient(server.Channel).UpsertAsync(Upsert(0, 24)).ResponseAsync.WaitAsync(Timeout);
                await new Documents.DocumentsClient(server.Channel).DeleteAsync(new DeleteDocumentsRequest { Collection = "docs", Ids = { "d03", "d04" } }).ResponseAsync.WaitAsync(Timeout);
            }

            var builderSettings = new Dictionary<string, string?>
            {
                ["KrSbert:Cluster:Role"] = "builder",
                ["KrSbert:Cluster:Postgres"] = cluster.Database.ConnectionString,
                ["KrSbert:Cluster:ShardCount"] = "2",
                ["KrSbert:Cluster:SnapshotDirectory"] = snapshots,
                ["KrSbert:Cluster:PollMilliseconds"] = "200",
            };
            await RunBuilderAsync(builderSettings);
            var v1 = new CollectionVersion("docs", 1, 2);
            Assert.NotEmpty(await log.SnapshotsAsync(v1, 0).WaitAsync(Timeout));

            // Rows after the snapshots, then compaction removes every row they hold.
            foreach (TestServer server in new[] { cluster.Router, single })
            {
                await new Documents.DocumentsClient(server.Channel).UpsertAsync(Upsert(20, 36)).ResponseAsync.WaitAsync(Timeout);
                await new Documents.DocumentsClient(server.Channel).DeleteAsync(new DeleteDocumentsRequest { Collection = "docs", Ids = { "d05" } }).ResponseAsync.WaitAsync(Timeout);
            }

            Assert.Equal(26, await log.CompactAsync(v1).WaitAsync(Timeout));

            builderSettings["KrSbert:Cluster:RebuildCollection"] = "docs";
            // Version 1 stays: this test is about where the rows come from, not about dropping it.
            builderSettings["KrSbert:Cluster:DrainedVersionGraceSeconds"] = "-1";
            for (int shard = 0; shard < 2; shard++)
            {
                builderSettings[$"KrSbert:Cluster:ShardAddresses:{shard}"] = $"http://127.0.0.1:{cluster.Replicas[shard][0]!.Port}";
            }

            await RunBuilderAsync(builderSettings);
            CollectionVersion serving = (await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs");
            Assert.Equal(2, serving.Version);
            // 22 documents from the snapshots, then the 16 upserts and the tombstone after them, each once.
            long[] heads = [await log.HeadAsync(serving, 0).WaitAsync(Timeout), await log.HeadAsync(serving, 1).WaitAsync(Timeout)];
            Assert.Equal(22 + 16 + 1, heads.Sum());
            // Version 1 stays with the same documents, so the answers alone cannot tell which version the router read:
            // version 2's own stores on the replicas must hold them, and the queries carry a token of version 2 (the
            // router refuses one for a version that does not serve, and waits until the replicas applied it).
            Assert.Equal(33L, cluster.Replicas.Sum(r => r[0]!.Host.Engine.GetCollection(serving.StoreName).Record.DocumentCount));
            string token = new ConsistencyToken(serving.Version, heads.Select((head, shard) => KeyValuePair.Create(shard, head))).Encode();
            foreach (string text in s_queries)
            {
                var query = new QueryRequest { Collection = "docs", Text = text, TopK = 10, Exact = true };
                QueryResponse routed = await new Protos.V1.Search.SearchClient(cluster.Router.Channel).QueryAsync(new QueryRequest(query) { ConsistencyToken = token }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
                QueryResponse alone = await new Protos.V1.Search.SearchClient(single.Channel).QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
                Assert.Equal(alone.Hits.Select(h => h.Id), routed.Hits.Select(h => h.Id));
            }

            // A token of version 1 is refused now: the token is what pins the answers above to version 2.
            RpcException stale = await Assert.ThrowsAsync<RpcException>(() => new Protos.V1.Search.SearchClient(cluster.Router.Channel).QueryAsync(new QueryRequest { Collection = "docs", Text = s_queries[0], TopK = 10, ConsistencyToken = new ConsistencyToken(1, []).Encode() }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync).WaitAsync(Timeout);
            Assert.Equal(StatusCode.InvalidArgument, stale.StatusCode);
            Assert.Equal(33UL, (await new Collections.CollectionsClient(cluster.Router.Channel).GetAsync(new GetCollectionRequest { Name = "docs" }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout)).Documents);
        }
        finally
        {
            if (Directory.Exists(snapshots))
            {
                Directory.Delete(snapshots, recursive: true);
            }
        }
    }

    /// <summary>Runs a builder until it stops itself (it has published, or rebuilt and flipped).</summary>
    private static async Task RunBuilderAsync(Dictionary<string, string?> settings)
    {
        await using TestServer builder = await TestServer.StartAsync(settings).WaitAsync(Timeout);
        using var deadline = new CancellationTokenSource(Timeout);
        while (!builder.Stopping)
        {
            await Task.Delay(100, deadline.Token);
        }
    }

    private static UpsertRequest Upsert(int from, int to)
    {
        var upsert = new UpsertRequest { Collection = "docs" };
        upsert.Documents.AddRange(Enumerable.Range(from, to - from).Select(n => new Document { Id = $"d{n:D2}", Text = $"{s_subjects[n % 6]} {s_predicates[(n / 6) % 6]} (note {n})." }));
        return upsert;
    }
}
