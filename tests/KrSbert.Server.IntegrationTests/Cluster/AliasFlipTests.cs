using Grpc.Core;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Sharding;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.WriteLog;
using KrSbert.Protos.V1;
using Npgsql;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// A version rebuild under load: the builder copies version 1 (2 shards) into version 2 (3 shards) from the log,
/// waits until the replicas serve it, flips the alias and drains version 1, while queries keep coming through the
/// router. None may fail, and every answer, before and after the flip, holds the same documents.
/// </summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed class AliasFlipTests(PostgresCluster postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly string[] s_subjects = ["The library", "A small bakery", "The river", "Our new train", "The mountain trail", "A quiet cafe", "The museum", "The harbour"];
    private static readonly string[] s_predicates = ["opens early on weekdays", "sells fresh bread", "floods after heavy rain", "runs every ten minutes", "is steep near the top", "has good coffee", "shows old paintings", "is busy in summer"];
    private static readonly string[] s_queries = ["where can I buy bread", "trains to the city", "art exhibition", "hiking up a hill", "coffee shop"];

    [PostgresFact]
    public async Task A_rebuild_into_three_shards_with_new_hnsw_parameters_and_its_alias_flip_under_a_query_loop_fail_no_query_and_answer_the_same_documents()
    {
        string snapshots = Path.Combine(Path.GetTempPath(), "krsbert-rebuild-snapshots-" + Guid.NewGuid().ToString("N"));
        await using NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        string connection = database.ConnectionString;
        var replicas = new List<TestServer>();
        try
        {
            // Version 1 has shards 0 and 1; the replica of shard 2 waits for a version that has one.
            for (int shard = 0; shard < 3; shard++)
            {
                replicas.Add(await TestCluster.StartReplicaAsync(TestCluster.ShardSettings(connection, 3, shard)).WaitAsync(Timeout));
            }

            string[] addresses = [.. replicas.Select(r => $"http://127.0.0.1:{r.Port}")];
            var routerSettings = new Dictionary<string, string?>
            {
                ["KrSbert:Cluster:Role"] = "router",
                ["KrSbert:Cluster:Postgres"] = connection,
                ["KrSbert:Cluster:ShardCount"] = "2",
                ["KrSbert:Cluster:PollMilliseconds"] = "200",
            };
            for (int shard = 0; shard < 3; shard++)
            {
                routerSettings[$"KrSbert:Cluster:ShardAddresses:{shard}"] = addresses[shard];
            }

            await using TestServer router = await TestServer.StartAsync(routerSettings).WaitAsync(Timeout);
            var collections = new Collections.CollectionsClient(router.Channel);
            var documents = new Documents.DocumentsClient(router.Channel);
            var search = new Protos.V1.Search.SearchClient(router.Channel);
            await collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
            var upsert = new UpsertRequest { Collection = "docs" };
            upsert.Documents.AddRange(Enumerable.Range(0, 48).Select(n => new Document { Id = $"d{n:D2}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}." }));
            string token = (await documents.UpsertAsync(upsert).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken;

            var expected = new List<string[]>();
            foreach (string text in s_queries)
            {
                QueryResponse answer = await search.QueryAsync(new QueryRequest { Collection = "docs", Text = text, TopK = 10, Exact = true, ConsistencyToken = token }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
                expected.Add([.. answer.Hits.Select(h => h.Id)]);
            }

            PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
            var flipped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<(int Answered, int Failed, int Different, int AfterFlip)> loop = QueryLoopAsync(search, expected, flipped.Task);

            var builderSettings = new Dictionary<string, string?>
            {
                ["KrSbert:Cluster:Role"] = "builder",
                ["KrSbert:Cluster:Postgres"] = connection,
                ["KrSbert:Cluster:ShardCount"] = "2",
                ["KrSbert:Cluster:SnapshotDirectory"] = snapshots,
                ["KrSbert:Cluster:PollMilliseconds"] = "200",
                ["KrSbert:Cluster:RebuildCollection"] = "docs",
                ["KrSbert:Cluster:RebuildShardCount"] = "3",
                ["KrSbert:Cluster:RebuildM"] = "8",
                ["KrSbert:Cluster:RebuildEfConstruction"] = "100",
            };
            for (int shard = 0; shard < 3; shard++)
            {
                builderSettings[$"KrSbert:Cluster:ShardAddresses:{shard}"] = addresses[shard];
            }

            CollectionVersion serving;
            await using (TestServer builder = await TestServer.StartAsync(builderSettings).WaitAsync(Timeout))
            {
                using var deadline = new CancellationTokenSource(Timeout);
                while ((serving = (await log.ReadAliasesAsync(deadline.Token)).Resolve("docs")).Version == 1)
                {
                    await Task.Delay(50, deadline.Token);
                }
            }

            flipped.SetResult();
            (int answered, int failed, int different, int afterFlip) = await loop.WaitAsync(Timeout);

            Assert.Equal((2L, 3), (serving.Version, serving.Shards.ShardCount));
            // The new graph parameters reach the router's collection and every replica's store of version 2.
            // The router reads from its alias copy, which follows the flip within its refresh interval.
            Protos.V1.CollectionInfo routed;
            using (var refreshed = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                while ((routed = await collections.GetAsync(new GetCollectionRequest { Name = "docs" }, cancellationToken: refreshed.Token)).M != 8)
                {
                    await Task.Delay(100, refreshed.Token);
                }
            }

            Assert.Equal((8u, 100u), (routed.M, routed.EfConstruction));
            foreach (TestServer replica in replicas)
            {
                Protos.V1.CollectionInfo local = await new Collections.CollectionsClient(replica.Channel).GetAsync(new GetCollectionRequest { Name = "docs__v2" }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
                Assert.Equal((8u, 100u), (local.M, local.EfConstruction));
            }

            Assert.Equal(0, failed);
            Assert.Equal(0, different);
            Assert.True(afterFlip >= 20, $"only {afterFlip} of {answered} queries ran after the flip");
            for (int shard = 0; shard < 3; shard++)
            {
                Assert.Single(await log.SnapshotsAsync(serving, shard).WaitAsync(Timeout));
            }

            // Writes now go to version 2 and read back with their token, from the shard the 3-way map picks.
            UpsertResponse fresh = await documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "fresh", Text = "A floating violin school on the lake." } } }).ResponseAsync.WaitAsync(Timeout);
            ConsistencyToken written = ConsistencyToken.Parse(fresh.ConsistencyToken);
            Assert.Equal(2, written.Version);
            Assert.Equal([new ShardMap(3).ShardOf("fresh")], written.Sequences.Keys);
            QueryResponse seen = await search.QueryAsync(new QueryRequest { Collection = "docs", Text = "A floating violin school on the lake.", TopK = 1, Exact = true, ConsistencyToken = fresh.ConsistencyToken }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal("fresh", Assert.Single(seen.Hits).Id);
        }
        finally
        {
            foreach (TestServer replica in replicas)
            {
                await replica.DisposeAsync().AsTask().WaitAsync(Timeout);
            }

            if (Directory.Exists(snapshots))
            {
                Directory.Delete(snapshots, recursive: true);
            }
        }
    }

    [PostgresFact]
    public async Task A_rebuild_whose_new_shard_has_no_replica_does_not_flip_the_alias_and_drops_its_staged_version()
    {
        string snapshots = Path.Combine(Path.GetTempPath(), "krsbert-rebuild-snapshots-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 1, replicasPerShard: 1).WaitAsync(Timeout);
            await new Collections.CollectionsClient(cluster.Router.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
            await new Documents.DocumentsClient(cluster.Router.Channel).UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "a", Text = "The river floods after heavy rain." } } }).ResponseAsync.WaitAsync(Timeout);
            var builderSettings = new Dictionary<string, string?>
            {
                ["KrSbert:Cluster:Role"] = "builder",
                ["KrSbert:Cluster:Postgres"] = cluster.Database.ConnectionString,
                ["KrSbert:Cluster:ShardCount"] = "1",
                ["KrSbert:Cluster:SnapshotDirectory"] = snapshots,
                ["KrSbert:Cluster:PollMilliseconds"] = "200",
                ["KrSbert:Cluster:RebuildCollection"] = "docs",
                ["KrSbert:Cluster:RebuildShardCount"] = "2",
                ["KrSbert:Cluster:RebuildReadySeconds"] = "2",
                // Shard 1 of version 2 is listed nowhere: the builder must give up rather than flip.
                ["KrSbert:Cluster:ShardAddresses:0"] = $"http://127.0.0.1:{cluster.Replicas[0][0]!.Port}",
            };
            PostgresWriteLog log = await PostgresWriteLog.OpenAsync(cluster.Database).WaitAsync(Timeout);
            var v1 = new CollectionVersion("docs", 1, 1);
            var v2 = new CollectionVersion("docs", 2, 2);
            Dictionary<string, long> servingBefore = await VersionRows.CountAsync(cluster.Database, v1).WaitAsync(Timeout);
            bool sawStaged = false;
            await using (TestServer builder = await TestServer.StartAsync(builderSettings).WaitAsync(Timeout))
            {
                using var deadline = new CancellationTokenSource(Timeout);
                while (!builder.Stopping)
                {
                    sawStaged |= (await log.StagedVersionsAsync(deadline.Token)).Any(v => v.Version == 2);
                    await Task.Delay(100, deadline.Token);
                }
            }

            // The builder stops with exit code 1 (in this process: the test host's, put back at once).
            int exitCode = Environment.ExitCode;
            Environment.ExitCode = 0;
            Assert.Equal(1, exitCode);
            // Version 2 was staged while the builder waited, and it dropped it on giving up: nothing of it stays for
            // replicas to follow, in PostgreSQL or the snapshot store, and version 1 is as it was.
            Assert.True(sawStaged, "the builder never staged version 2");
            Assert.Empty(await log.StagedVersionsAsync().WaitAsync(Timeout));
            // Only the shard heads stay, without the log, so the next rebuild takes version 3.
            Assert.Equal(["krs_shard_head"], (await VersionRows.CountAsync(cluster.Database, v2).WaitAsync(Timeout)).Keys);
            Assert.Empty(Directory.Exists(Path.Combine(snapshots, "docs", "v2")) ? Directory.EnumerateFiles(Path.Combine(snapshots, "docs", "v2"), "*", SearchOption.AllDirectories) : []);
            Assert.Equal(servingBefore, await VersionRows.CountAsync(cluster.Database, v1).WaitAsync(Timeout));
            Assert.Equal(1, (await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs").Version);
            QueryResponse answer = await new Protos.V1.Search.SearchClient(cluster.Router.Channel).QueryAsync(new QueryRequest { Collection = "docs", Text = "river", TopK = 5 }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal("a", Assert.Single(answer.Hits).Id);
        }
        finally
        {
            if (Directory.Exists(snapshots))
            {
                Directory.Delete(snapshots, recursive: true);
            }
        }
    }

    /// <summary>Queries without a token until <paramref name="flipped"/> completes and 20 more ran (bounded: at most 5,000).</summary>
    private static async Task<(int Answered, int Failed, int Different, int AfterFlip)> QueryLoopAsync(Protos.V1.Search.SearchClient search, List<string[]> expected, Task flipped)
    {
        int answered = 0, failed = 0, different = 0, afterFlip = 0;
        for (int i = 0; i < 5_000 && afterFlip < 20; i++)
        {
            bool after = flipped.IsCompleted;
            try
            {
                QueryResponse response = await search.QueryAsync(new QueryRequest { Collection = "docs", Text = s_queries[i % s_queries.Length], TopK = 10, Exact = true }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);
                answered++;
                if (!response.Hits.Select(h => h.Id).SequenceEqual(expected[i % s_queries.Length]))
                {
                    different++;
                }
            }
            catch (RpcException)
            {
                failed++;
            }

            if (after)
            {
                afterFlip++;
            }
        }

        return (answered, failed, different, afterFlip);
    }
}
