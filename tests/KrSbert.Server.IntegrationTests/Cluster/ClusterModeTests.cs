using Grpc.Core;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Sharding;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Protos.V1;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// Cluster mode end to end: two shards of two replicas and a router, real servers on loopback ports, PostgreSQL as
/// the write log. Results must equal a single node's; writes must be readable with their token; a replica lost
/// costs no query; a shard lost answers UNAVAILABLE or, when asked, partial results with their coverage.
/// </summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed class ClusterModeTests(PostgresCluster postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly string[] s_subjects = ["The library", "A small bakery", "The river", "Our new train", "The mountain trail", "A quiet cafe", "The museum", "The harbour"];
    private static readonly string[] s_predicates = ["opens early on weekdays", "sells fresh bread", "floods after heavy rain", "runs every ten minutes", "is steep near the top", "has good coffee", "shows old paintings", "is busy in summer"];
    private static readonly string[] s_queries = ["where can I buy bread", "trains to the city", "art exhibition", "hiking up a hill", "coffee shop"];

    [PostgresFact]
    public async Task Routed_exact_queries_equal_a_single_node_and_a_token_reads_the_write_and_the_delete_back()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 2).WaitAsync(Timeout);
        await using TestServer single = await TestServer.StartAsync().WaitAsync(Timeout);
        var router = Clients(cluster.Router);
        var node = Clients(single);
        await router.Collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        await node.Collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);

        ConsistencyToken? written = null;
        for (int batch = 0; batch < 2; batch++)
        {
            var request = new UpsertRequest { Collection = "docs" };
            request.Documents.AddRange(Enumerable.Range(batch * 32, 32).Select(n => new Document { Id = $"d{n:D2}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}." }));
            UpsertResponse routed = await router.Documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout);
            await node.Documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout);
            ConsistencyToken token = ConsistencyToken.Parse(routed.ConsistencyToken);
            written = written is null ? token : written.Merge(token);
        }

        // Both shards hold documents, so the merge is tested, not one shard's list passed through.
        var map = new ShardMap(2);
        Assert.Equal(2, Enumerable.Range(0, 64).Select(n => map.ShardOf($"d{n:D2}")).Distinct().Count());

        foreach (string text in s_queries)
        {
            var query = new QueryRequest { Collection = "docs", Text = text, TopK = 10, Exact = true };
            QueryResponse expected = await node.Search.QueryAsync(query).ResponseAsync.WaitAsync(Timeout);
            query.ConsistencyToken = written!.Encode();
            QueryResponse actual = await router.Search.QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);

            Assert.Equal(expected.Hits.Select(h => h.Id), actual.Hits.Select(h => h.Id));
            Assert.All(expected.Hits.Zip(actual.Hits), pair => Assert.Equal(pair.First.Score, pair.Second.Score, 5));
            Assert.Equal(1.0, actual.Coverage);
        }

        // Read-your-writes: a query with the write's token sees it at once, though replicas apply asynchronously.
        UpsertResponse fresh = await router.Documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "fresh", Text = "A floating violin school on the lake." } } }).ResponseAsync.WaitAsync(Timeout);
        QueryResponse seen = await router.Search.QueryAsync(new QueryRequest { Collection = "docs", Text = "A floating violin school on the lake.", TopK = 1, Exact = true, ConsistencyToken = fresh.ConsistencyToken }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal("fresh", Assert.Single(seen.Hits).Id);

        DeleteDocumentsResponse deleted = await router.Documents.DeleteAsync(new DeleteDocumentsRequest { Collection = "docs", Ids = { "fresh" } }).ResponseAsync.WaitAsync(Timeout);
        QueryResponse gone = await router.Search.QueryAsync(new QueryRequest { Collection = "docs", Text = "A floating violin school on the lake.", TopK = 64, Exact = true, ConsistencyToken = deleted.ConsistencyToken }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        Assert.DoesNotContain(gone.Hits, h => h.Id == "fresh");
        Assert.Equal(64, gone.Hits.Count);
    }

    [PostgresFact]
    public async Task A_replica_lost_during_200_queries_fails_none_and_a_shard_lost_is_unavailable_or_partial_with_its_coverage()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 2).WaitAsync(Timeout);
        var router = Clients(cluster.Router);
        await router.Collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        var request = new UpsertRequest { Collection = "docs" };
        request.Documents.AddRange(Enumerable.Range(0, 40).Select(n => new Document { Id = $"d{n:D2}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}." }));
        string token = (await router.Documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken;

        int failed = 0;
        int answered = 0;
        Task? stopping = null;
        for (int i = 0; i < 200; i++)
        {
            if (i == 50)
            {
                // Lost while queries keep coming: the router's next pick of that replica finds it gone and tries the other.
                stopping = cluster.StopReplicaAsync(shard: 0, replica: 0);
            }

            try
            {
                QueryResponse response = await router.Search.QueryAsync(
                    new QueryRequest { Collection = "docs", Text = s_queries[i % s_queries.Length], TopK = 5, ConsistencyToken = token },
                    deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);
                Assert.Equal(5, response.Hits.Count);
                Assert.Equal(1.0, response.Coverage);
                answered++;
            }
            catch (RpcException)
            {
                failed++;
            }
        }

        await stopping!.WaitAsync(Timeout);
        Assert.Equal((200, 0), (answered, failed));

        // Every replica of shard 1 gone: UNAVAILABLE, or shard 0's documents with coverage 0.5 when partial results are accepted.
        await cluster.StopReplicaAsync(shard: 1, replica: 0).WaitAsync(Timeout);
        await cluster.StopReplicaAsync(shard: 1, replica: 1).WaitAsync(Timeout);
        var query = new QueryRequest { Collection = "docs", Text = "coffee shop", TopK = 40, Exact = true };
        RpcException unavailable = await Assert.ThrowsAsync<RpcException>(() => router.Search.QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync).WaitAsync(Timeout);
        Assert.Equal(StatusCode.Unavailable, unavailable.StatusCode);
        Assert.Contains("shard 1", unavailable.Status.Detail, StringComparison.Ordinal);

        query.AllowPartial = true;
        QueryResponse partial = await router.Search.QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);
        var map = new ShardMap(2);
        string[] onShard0 = [.. Enumerable.Range(0, 40).Select(n => $"d{n:D2}").Where(id => map.ShardOf(id) == 0).Order(StringComparer.Ordinal)];
        Assert.Equal(0.5, partial.Coverage);
        Assert.Equal(onShard0, partial.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
    }

    [PostgresFact]
    public async Task A_builder_publishes_every_shard_and_a_new_replica_restores_its_snapshot_then_reads_the_log_after_it()
    {
        string snapshots = Path.Combine(Path.GetTempPath(), "krsbert-cluster-snapshots-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
            var router = Clients(cluster.Router);
            await router.Collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
            var request = new UpsertRequest { Collection = "docs" };
            request.Documents.AddRange(Enumerable.Range(0, 20).Select(n => new Document { Id = $"d{n:D2}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}." }));
            await router.Documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout);

            // The builder runs once and stops itself; its snapshots are registered in the log.
            var version = new KrSbert.Cluster.Aliases.CollectionVersion("docs", 1, 2);
            KrSbert.Cluster.WriteLog.PostgresWriteLog log = await KrSbert.Cluster.WriteLog.PostgresWriteLog.OpenAsync(cluster.Database).WaitAsync(Timeout);
            var builderSettings = new Dictionary<string, string?>
            {
                ["KrSbert:Cluster:Role"] = "builder",
                ["KrSbert:Cluster:Postgres"] = cluster.Database.ConnectionString,
                ["KrSbert:Cluster:ShardCount"] = "2",
                ["KrSbert:Cluster:SnapshotDirectory"] = snapshots,
            };
            await using (TestServer builder = await TestServer.StartAsync(builderSettings).WaitAsync(Timeout))
            {
                using var deadline = new CancellationTokenSource(Timeout);
                while ((await log.SnapshotsAsync(version, 1, deadline.Token)).Count == 0)
                {
                    await Task.Delay(100, deadline.Token);
                }
            }

            // Each shard's snapshot holds its whole log as the builder found it.
            for (int shard = 0; shard < 2; shard++)
            {
                var registered = await log.SnapshotsAsync(version, shard).WaitAsync(Timeout);
                Assert.Equal(await log.HeadAsync(version, shard).WaitAsync(Timeout), Assert.Single(registered).Sequence);
            }

            // The log before the snapshots is gone: a replica can only start from them. One more write follows them.
            await log.CompactAsync(version).WaitAsync(Timeout);
            UpsertResponse after = await router.Documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "late", Text = "A late arrival at the station." } } }).ResponseAsync.WaitAsync(Timeout);
            int lateShard = new ShardMap(2).ShardOf("late");
            var settings = TestCluster.ShardSettings(cluster.Database.ConnectionString, 2, lateShard);
            settings["KrSbert:Cluster:SnapshotDirectory"] = snapshots;
            await using TestServer replica = await TestCluster.StartReplicaAsync(settings).WaitAsync(Timeout);

            QueryResponse all = await new Protos.V1.Search.SearchClient(replica.Channel).QueryAsync(
                new QueryRequest { Collection = version.StoreName, Text = "station", TopK = 50, Exact = true, ConsistencyToken = after.ConsistencyToken },
                deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
            string[] expected = [.. Enumerable.Range(0, 20).Select(n => $"d{n:D2}").Append("late").Where(id => new ShardMap(2).ShardOf(id) == lateShard).Order(StringComparer.Ordinal)];
            Assert.Equal(expected, all.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
        }
        finally
        {
            if (Directory.Exists(snapshots))
            {
                Directory.Delete(snapshots, recursive: true);
            }
        }
    }

    [PostgresFact]
    public async Task A_router_create_with_inner_product_and_bm25_k1_reaches_every_shard_so_routed_scores_equal_a_single_node_built_alike()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
        await using TestServer single = await TestServer.StartAsync().WaitAsync(Timeout);
        var router = Clients(cluster.Router);
        var node = Clients(single);
        var create = new CreateCollectionRequest { Name = "dot", Metric = Metric.InnerProduct, Normalize = false, Bm25K1 = 1.7, Bm25B = 0.6, EfSearch = 48 };
        await router.Collections.CreateAsync(create).ResponseAsync.WaitAsync(Timeout);
        await node.Collections.CreateAsync(create).ResponseAsync.WaitAsync(Timeout);
        await node.Collections.CreateAsync(new CreateCollectionRequest { Name = "cos" }).ResponseAsync.WaitAsync(Timeout);

        var request = new UpsertRequest { Collection = "dot" };
        request.Documents.AddRange(Enumerable.Range(0, 32).Select(n => new Document { Id = $"d{n:D2}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}." }));
        string token = (await router.Documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken;
        await node.Documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout);
        request.Collection = "cos";
        await node.Documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout);

        // Both shards have applied the write once a query with its token answers.
        await router.Search.QueryAsync(new QueryRequest { Collection = "dot", Text = "bread", TopK = 1, ConsistencyToken = token }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);

        // The router reports the collection as created, not with the defaults, and counts the documents of every shard.
        CollectionInfo routed = await router.Collections.GetAsync(new GetCollectionRequest { Name = "dot" }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(("dot", Metric.InnerProduct, false, 1.7, 0.6, 48u, 32ul), (routed.Name, routed.Metric, routed.Normalize, routed.Bm25K1, routed.Bm25B, routed.EfSearch, routed.Documents));
        ListCollectionsResponse listed = await router.Collections.ListAsync(new ListCollectionsRequest()).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal((Metric.InnerProduct, 32ul), Assert.Single(listed.Collections, c => c.Name == "dot") is var l ? (l.Metric, l.Documents) : default);

        // Each shard replica built its part with them.
        foreach (TestServer? replica in cluster.Replicas.Select(r => r[0]))
        {
            CollectionInfo shard = await new Collections.CollectionsClient(replica!.Channel).GetAsync(new GetCollectionRequest { Name = "dot__v1" }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal((Metric.InnerProduct, false, 1.7, 0.6), (shard.Metric, shard.Normalize, shard.Bm25K1, shard.Bm25B));
        }

        // Dense scores are raw dot products, as on a single node built alike, and unlike cosine's.
        var query = new QueryRequest { Collection = "dot", Text = "where can I buy bread", TopK = 10, Exact = true, ConsistencyToken = token };
        QueryResponse actual = await router.Search.QueryAsync(query, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        query.ClearConsistencyToken();
        QueryResponse expected = await node.Search.QueryAsync(query).ResponseAsync.WaitAsync(Timeout);
        query.Collection = "cos";
        QueryResponse cosine = await node.Search.QueryAsync(query).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(expected.Hits.Select(h => (h.Id, Math.Round(h.Score, 4))), actual.Hits.Select(h => (h.Id, Math.Round(h.Score, 4))));
        Assert.NotEqual(cosine.Hits[0].Score, actual.Hits[0].Score, 3);
    }

    [PostgresFact]
    public async Task A_router_gets_documents_from_their_shards_and_scatters_each_query_of_a_batch_as_a_single_node_answers_them()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
        await using TestServer single = await TestServer.StartAsync().WaitAsync(Timeout);
        var router = Clients(cluster.Router);
        var node = Clients(single);
        await router.Collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        await node.Collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        var request = new UpsertRequest { Collection = "docs" };
        request.Documents.AddRange(Enumerable.Range(0, 24).Select(n => new Document { Id = $"d{n:D2}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}.", Metadata = { ["n"] = $"{n}" } }));
        string token = (await router.Documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken;
        await node.Documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout);
        // Get carries no token: a query with it first makes sure both replicas applied the write.
        await router.Search.QueryAsync(new QueryRequest { Collection = "docs", Text = "bread", TopK = 1, ConsistencyToken = token }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);

        // Ids on both shards, one no shard holds, in an order of the caller's.
        var map = new ShardMap(2);
        string[] asked = ["d17", "missing", "d03", "d00", "d11"];
        Assert.Equal(2, asked.Where(id => id != "missing").Select(map.ShardOf).Distinct().Count());
        GetDocumentsResponse got = await router.Documents.GetAsync(new GetDocumentsRequest { Collection = "docs", Ids = { asked } }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        GetDocumentsResponse expected = await node.Documents.GetAsync(new GetDocumentsRequest { Collection = "docs", Ids = { asked } }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(["d17", "d03", "d00", "d11"], got.Documents.Select(d => d.Id));
        Assert.Equal(expected.Documents.Select(d => (d.Id, d.Text, d.Metadata["n"])).Order(), got.Documents.Select(d => (d.Id, d.Text, d.Metadata["n"])).Order());

        var batch = new QueryBatchRequest();
        batch.Queries.AddRange(s_queries.Select(text => new QueryRequest { Collection = "docs", Text = text, TopK = 5, Exact = true }));
        QueryBatchResponse routed = await router.Search.QueryBatchAsync(batch, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        QueryBatchResponse alone = await node.Search.QueryBatchAsync(batch).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(s_queries.Length, routed.Results.Count);
        Assert.All(alone.Results.Zip(routed.Results), pair => Assert.Equal(pair.First.Hits.Select(h => h.Id), pair.Second.Hits.Select(h => h.Id)));

        // A batch item naming a collection that does not exist fails the batch as the item would alone, named.
        batch.Queries.Add(new QueryRequest { Collection = "nope", Text = "bread", TopK = 5 });
        RpcException missing = await Assert.ThrowsAsync<RpcException>(() => router.Search.QueryBatchAsync(batch).ResponseAsync).WaitAsync(Timeout);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.StartsWith($"queries[{s_queries.Length}]: ", missing.Status.Detail, StringComparison.Ordinal);

        // With the shard of an id down, Get answers UNAVAILABLE rather than leaving the document out.
        await cluster.StopReplicaAsync(map.ShardOf("d03"), 0).WaitAsync(Timeout);
        RpcException down = await Assert.ThrowsAsync<RpcException>(() => router.Documents.GetAsync(new GetDocumentsRequest { Collection = "docs", Ids = { "d03" } }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync).WaitAsync(Timeout);
        Assert.Equal(StatusCode.Unavailable, down.StatusCode);
        RpcException uncounted = await Assert.ThrowsAsync<RpcException>(() => router.Collections.GetAsync(new GetCollectionRequest { Name = "docs" }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync).WaitAsync(Timeout);
        Assert.Equal(StatusCode.Unavailable, uncounted.StatusCode);
        RpcException unknown = await Assert.ThrowsAsync<RpcException>(() => router.Collections.GetAsync(new GetCollectionRequest { Name = "nope" }).ResponseAsync).WaitAsync(Timeout);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [PostgresFact]
    public async Task A_router_ingests_a_stream_through_the_log_in_batches_reporting_refused_documents_by_stream_position_and_its_token_reads_them()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
        var router = Clients(cluster.Router);
        await router.Collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);

        // More than one batch (256), with a document that has neither text nor vector in the second.
        using var call = router.Documents.Ingest(deadline: DateTime.UtcNow.AddSeconds(120));
        for (int n = 0; n < 300; n++)
        {
            Document document = n == 270 ? new Document { Id = "empty" } : new Document { Id = $"i{n:D3}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]} ({n})." };
            await call.RequestStream.WriteAsync(new IngestRequest { Collection = n == 0 ? "docs" : "", Document = document }).WaitAsync(Timeout);
        }

        await call.RequestStream.CompleteAsync().WaitAsync(Timeout);
        IngestResponse response = await call.ResponseAsync.WaitAsync(Timeout);

        Assert.Equal((300ul, 299ul), (response.Received, response.Stored));
        DocumentError refused = Assert.Single(response.Failures);
        Assert.Equal((270ul, "empty"), (refused.Index, refused.Id));
        QueryResponse all = await router.Search.QueryAsync(new QueryRequest { Collection = "docs", Text = "bread", TopK = 300, Exact = true, ConsistencyToken = response.ConsistencyToken }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(299, all.Hits.Count);
        Assert.DoesNotContain(all.Hits, h => h.Id == "empty");
    }

    private static (Collections.CollectionsClient Collections, Documents.DocumentsClient Documents, Protos.V1.Search.SearchClient Search) Clients(TestServer server) =>
        (new Collections.CollectionsClient(server.Channel), new Documents.DocumentsClient(server.Channel), new Protos.V1.Search.SearchClient(server.Channel));
}
