using Grpc.Core;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Tests.Rebuilding;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.WriteLog;
using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Protos.V1;
using Npgsql;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// A rebuild into a new model: version 1 of a collection was embedded by the embedded MiniLM through a router; a
/// builder running the tiny KR-SBERT model re-embeds it into version 2, flips the alias, and after its grace drops
/// version 1 from PostgreSQL while the replicas drop their local copy. A router running the new model then answers
/// as a single node built with that model; one still running the old model refuses text instead of embedding it wrongly.
/// </summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed class ModelRebuildTests(PostgresCluster postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly string[] s_texts =
    [
        "서울 도서관은 평일 아침 일찍 문을 엽니다.", "작은 빵집에서 갓 구운 빵을 팝니다.", "강은 큰 비가 온 뒤에 넘칩니다.", "새 기차는 십 분마다 다닙니다.",
        "산길은 정상 근처에서 가파릅니다.", "조용한 카페의 커피가 맛있습니다.", "박물관은 오래된 그림을 보여 줍니다.", "항구는 여름에 붐빕니다.",
        "The library opens early on weekdays.", "A small bakery sells fresh bread.", "The river floods after heavy rain.", "Our new train runs every ten minutes.",
    ];

    private static readonly string[] s_queries = ["빵을 어디서 사나요", "기차 시간", "그림 전시", "coffee shop", "mountain trail"];

    [PostgresModelFact(TestModels.TinyRandomFolder)]
    public async Task A_rebuild_with_a_new_model_answers_through_a_router_running_it_as_a_single_node_with_that_model_and_drops_the_old_version()
    {
        string snapshots = Path.Combine(Path.GetTempPath(), "krsbert-model-rebuild-" + Guid.NewGuid().ToString("N"));
        string tiny = SharedFolder.PathOf(TestModels.TinyRandomFolder);
        await using NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        string connection = database.ConnectionString;
        var replicas = new List<TestServer>();
        try
        {
            // The replicas run the default model: they never embed, so the version's model is not theirs to match.
            for (int shard = 0; shard < 2; shard++)
            {
                Dictionary<string, string?> settings = TestCluster.ShardSettings(connection, 2, shard);
                settings["KrSbert:Cluster:DrainedVersionGraceSeconds"] = "1";
                replicas.Add(await TestCluster.StartReplicaAsync(settings).WaitAsync(Timeout));
            }

            Dictionary<string, string?> Routed(string role)
            {
                var settings = new Dictionary<string, string?>
                {
                    ["KrSbert:Cluster:Role"] = role,
                    ["KrSbert:Cluster:Postgres"] = connection,
                    ["KrSbert:Cluster:ShardCount"] = "2",
                    ["KrSbert:Cluster:PollMilliseconds"] = "200",
                    ["KrSbert:Cluster:AliasRefreshMilliseconds"] = "200",
                };
                for (int shard = 0; shard < 2; shard++)
                {
                    settings[$"KrSbert:Cluster:ShardAddresses:{shard}"] = $"http://127.0.0.1:{replicas[shard].Port}";
                }

                return settings;
            }

            await using TestServer oldRouter = await TestServer.StartAsync(Routed("router")).WaitAsync(Timeout);
            await new Collections.CollectionsClient(oldRouter.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
            await new Documents.DocumentsClient(oldRouter.Channel).UpsertAsync(Upsert()).ResponseAsync.WaitAsync(Timeout);
            await new Documents.DocumentsClient(oldRouter.Channel).DeleteAsync(new DeleteDocumentsRequest { Collection = "docs", Ids = { "d1" } }).ResponseAsync.WaitAsync(Timeout);

            Dictionary<string, string?> builderSettings = Routed("builder");
            builderSettings["KrSbert:ModelDirectory"] = tiny;
            builderSettings["KrSbert:Cluster:SnapshotDirectory"] = snapshots;
            builderSettings["KrSbert:Cluster:RebuildCollection"] = "docs";
            builderSettings["KrSbert:Cluster:RebuildModel"] = "true";
            builderSettings["KrSbert:Cluster:DrainedVersionGraceSeconds"] = "1";
            PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
            var v1 = new CollectionVersion("docs", 1, 2);
            await using (TestServer builder = await TestServer.StartAsync(builderSettings).WaitAsync(Timeout))
            {
                using var deadline = new CancellationTokenSource(Timeout);
                // The builder stops once it has flipped, drained and, after the grace, dropped version 1.
                while (!builder.Stopping)
                {
                    await Task.Delay(100, deadline.Token);
                }
            }

            CollectionVersion serving = (await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs");
            Assert.Equal(2, serving.Version);
            string model = Embedders.TinyKrSbert.Model.Name;
            Assert.Equal(model, (await log.ReadSettingsAsync(serving).WaitAsync(Timeout))!.ModelName);
            int upserts = 0;
            for (int shard = 0; shard < 2; shard++)
            {
                foreach (LogRecord record in await log.ReadAfterAsync(serving, shard, 0, 100).WaitAsync(Timeout))
                {
                    if (record.Entry.Operation == LogOperation.Upsert)
                    {
                        Assert.Equal(model, record.Entry.ModelId);
                        upserts++;
                    }
                }
            }

            Assert.Equal(s_texts.Length, upserts);
            // Version 1 is gone from PostgreSQL and the snapshot store.
            Assert.Null(await log.ReadSettingsAsync(v1).WaitAsync(Timeout));
            Assert.Equal(0, await log.HeadAsync(v1, 0).WaitAsync(Timeout) + await log.HeadAsync(v1, 1).WaitAsync(Timeout));
            Assert.Empty(await log.SnapshotsAsync(v1, 0).WaitAsync(Timeout));
            // The replicas drop their copy of version 1 within their grace and a poll.
            using (var dropped = new CancellationTokenSource(Timeout))
            {
                while (replicas.Any(r => r.Host.Engine.ListCollections().Any(c => c.Name == v1.StoreName)))
                {
                    await Task.Delay(100, dropped.Token);
                }
            }

            Assert.All(replicas, r => Assert.Contains(r.Host.Engine.ListCollections(), c => c.Name == serving.StoreName));

            // The router still running MiniLM refuses text for a collection another model embedded. A token of version 2
            // makes it resolve version 2 now, whether or not its background alias refresh has run yet; the query
            // without one then resolves from the copy that read refreshed.
            string token = new ConsistencyToken(serving.Version, [KeyValuePair.Create(0, await log.HeadAsync(serving, 0).WaitAsync(Timeout)), KeyValuePair.Create(1, await log.HeadAsync(serving, 1).WaitAsync(Timeout))]).Encode();
            foreach (string? carried in new[] { token, null })
            {
                var query = new QueryRequest { Collection = "docs", Text = s_queries[0], TopK = 5 };
                if (carried is not null)
                {
                    query.ConsistencyToken = carried;
                }

                RpcException refused = await Assert.ThrowsAsync<RpcException>(() => new Protos.V1.Search.SearchClient(oldRouter.Channel).QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync).WaitAsync(Timeout);
                Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
                Assert.Contains(model, refused.Status.Detail, StringComparison.Ordinal);
            }

            Dictionary<string, string?> newRouterSettings = Routed("router");
            newRouterSettings["KrSbert:ModelDirectory"] = tiny;
            await using TestServer newRouter = await TestServer.StartAsync(newRouterSettings).WaitAsync(Timeout);
            await using TestServer single = await TestServer.StartAsync(new() { ["KrSbert:ModelDirectory"] = tiny }).WaitAsync(Timeout);
            await new Collections.CollectionsClient(single.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
            await new Documents.DocumentsClient(single.Channel).UpsertAsync(Upsert()).ResponseAsync.WaitAsync(Timeout);
            await new Documents.DocumentsClient(single.Channel).DeleteAsync(new DeleteDocumentsRequest { Collection = "docs", Ids = { "d1" } }).ResponseAsync.WaitAsync(Timeout);
            foreach (string text in s_queries)
            {
                var query = new QueryRequest { Collection = "docs", Text = text, TopK = 5, Exact = true };
                QueryResponse routed = await new Protos.V1.Search.SearchClient(newRouter.Channel).QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
                QueryResponse alone = await new Protos.V1.Search.SearchClient(single.Channel).QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
                Assert.Equal(alone.Hits.Select(h => h.Id), routed.Hits.Select(h => h.Id));
                Assert.Equal(5, routed.Hits.Count);
            }
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

    [PostgresModelFact(TestModels.TinyRandomFolder)]
    public async Task A_rebuild_whose_re_embedding_is_refused_drops_its_staged_version_and_the_serving_version_answers_as_before()
    {
        string snapshots = Path.Combine(Path.GetTempPath(), "krsbert-refused-rebuild-" + Guid.NewGuid().ToString("N"));
        await using NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        string connection = database.ConnectionString;
        var replicas = new List<TestServer>();
        try
        {
            for (int shard = 0; shard < 2; shard++)
            {
                replicas.Add(await TestCluster.StartReplicaAsync(TestCluster.ShardSettings(connection, 2, shard)).WaitAsync(Timeout));
            }

            var routerSettings = new Dictionary<string, string?>
            {
                ["KrSbert:Cluster:Role"] = "router",
                ["KrSbert:Cluster:Postgres"] = connection,
                ["KrSbert:Cluster:ShardCount"] = "2",
                ["KrSbert:Cluster:PollMilliseconds"] = "200",
                ["KrSbert:Cluster:AliasRefreshMilliseconds"] = "200",
            };
            for (int shard = 0; shard < 2; shard++)
            {
                routerSettings[$"KrSbert:Cluster:ShardAddresses:{shard}"] = $"http://127.0.0.1:{replicas[shard].Port}";
            }

            await using TestServer router = await TestServer.StartAsync(routerSettings).WaitAsync(Timeout);
            Protos.V1.CollectionInfo created = await new Collections.CollectionsClient(router.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
            // A document stored with its writer's vector: the new model has no text to re-embed for it.
            UpsertRequest upsert = Upsert();
            upsert.Documents.Add(new Document { Id = "given", Vector = { Enumerable.Range(0, (int)created.Dimension).Select(i => i == 0 ? 1f : 0f) } });
            string written = (await new Documents.DocumentsClient(router.Channel).UpsertAsync(upsert).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken;
            var search = new Protos.V1.Search.SearchClient(router.Channel);
            var query = new QueryRequest { Collection = "docs", Text = s_queries[0], TopK = 5, Exact = true, ConsistencyToken = written };
            QueryResponse before = await search.QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
            var v1 = new CollectionVersion("docs", 1, 2);
            var v2 = new CollectionVersion("docs", 2, 2);
            Dictionary<string, long> servingBefore = await VersionRows.CountAsync(database, v1).WaitAsync(Timeout);

            var builderSettings = new Dictionary<string, string?>(routerSettings)
            {
                ["KrSbert:Cluster:Role"] = "builder",
                ["KrSbert:ModelDirectory"] = SharedFolder.PathOf(TestModels.TinyRandomFolder),
                ["KrSbert:Cluster:SnapshotDirectory"] = snapshots,
                ["KrSbert:Cluster:RebuildCollection"] = "docs",
                ["KrSbert:Cluster:RebuildModel"] = "true",
            };
            await using (TestServer builder = await TestServer.StartAsync(builderSettings).WaitAsync(Timeout))
            {
                using var deadline = new CancellationTokenSource(Timeout);
                while (!builder.Stopping)
                {
                    await Task.Delay(100, deadline.Token);
                }
            }

            // The builder stops with exit code 1 (in this process: the test host's, put back at once).
            int exitCode = Environment.ExitCode;
            Environment.ExitCode = 0;
            Assert.Equal(1, exitCode);
            // Nothing of version 2 is left for replicas to follow: not staged, no log rows, settings or snapshots; only
            // its shard heads, which keep its number from being used again.
            PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
            Assert.Empty(await log.StagedVersionsAsync().WaitAsync(Timeout));
            Assert.Equal(["krs_shard_head"], (await VersionRows.CountAsync(database, v2).WaitAsync(Timeout)).Keys);
            Assert.Empty(Directory.Exists(snapshots) ? Directory.EnumerateFiles(snapshots, "*", SearchOption.AllDirectories) : []);
            // Version 1 is untouched and still serves the same answers.
            Assert.Equal(1, (await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs").Version);
            Assert.Equal(servingBefore, await VersionRows.CountAsync(database, v1).WaitAsync(Timeout));
            QueryResponse after = await search.QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(5, after.Hits.Count);
            Assert.Equal(before.Hits.Select(h => h.Id), after.Hits.Select(h => h.Id));
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

    private static UpsertRequest Upsert()
    {
        var upsert = new UpsertRequest { Collection = "docs" };
        upsert.Documents.AddRange(s_texts.Select((text, i) => new Document { Id = $"d{i}", Text = text }));
        return upsert;
    }
}
