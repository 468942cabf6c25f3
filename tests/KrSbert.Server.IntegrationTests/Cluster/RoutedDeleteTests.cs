using Grpc.Core;
using KrSbert.Cluster.Sharding;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.WriteLog;
using KrSbert.Protos.V1;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// Deletes through a router: by filter (matched on the shards, logged as tombstones, read back with the token) and
/// a whole collection (gone from PostgreSQL and from the replicas); and a router's alias copy reading through for a
/// collection made elsewhere after it was filled.
/// </summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed class RoutedDeleteTests(PostgresCluster postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly string[] s_subjects = ["The library", "A small bakery", "The river", "Our new train", "The mountain trail", "A quiet cafe", "The museum", "The harbour"];
    private static readonly string[] s_predicates = ["opens early on weekdays", "sells fresh bread", "floods after heavy rain", "runs every ten minutes", "is steep near the top", "has good coffee", "shows old paintings", "is busy in summer"];

    [PostgresFact]
    public async Task A_routed_delete_by_filter_removes_exactly_the_matching_documents_on_both_shards_and_its_token_reads_the_delete()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
        await using TestServer single = await TestServer.StartAsync().WaitAsync(Timeout);
        var documents = new Documents.DocumentsClient(cluster.Router.Channel);
        var search = new Protos.V1.Search.SearchClient(cluster.Router.Channel);
        var node = new Documents.DocumentsClient(single.Channel);
        await new Collections.CollectionsClient(cluster.Router.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        await new Collections.CollectionsClient(single.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        var upsert = new UpsertRequest { Collection = "docs" };
        upsert.Documents.AddRange(Enumerable.Range(0, 30).Select(n => new Document
        {
            Id = $"d{n:D2}",
            Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}.",
            Metadata = { ["lang"] = n % 3 == 0 ? "ko" : "en", ["n"] = $"{n}" },
        }));
        await documents.UpsertAsync(upsert).ResponseAsync.WaitAsync(Timeout);
        await node.UpsertAsync(upsert).ResponseAsync.WaitAsync(Timeout);
        string[] korean = [.. upsert.Documents.Where(d => d.Metadata["lang"] == "ko").Select(d => d.Id)];
        string[] english = [.. upsert.Documents.Where(d => d.Metadata["lang"] == "en").Select(d => d.Id).Order(StringComparer.Ordinal)];
        var map = new ShardMap(2);
        Assert.Equal(2, korean.Select(map.ShardOf).Distinct().Count());

        // Straight after the write, with no token to wait on: the shard heads the delete reads cover the write.
        var byFilter = new DeleteDocumentsRequest { Collection = "docs", Filter = new Filter { Must = { new Condition { Key = "lang", AnyOf = { "ko" } } } } };
        DeleteDocumentsResponse deleted = await documents.DeleteAsync(byFilter, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        DeleteDocumentsResponse deletedAlone = await node.DeleteAsync(byFilter).ResponseAsync.WaitAsync(Timeout);
        QueryResponse left = await search.QueryAsync(new QueryRequest { Collection = "docs", Text = "bread", TopK = 100, Exact = true, ConsistencyToken = deleted.ConsistencyToken }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        // The router lists the ids a page at a time over both shards, in order, as a single node does.
        var listed = new List<string>();
        var listedAlone = new List<string>();
        for (string after = ""; ;)
        {
            var page = new ListIdsRequest { Collection = "docs", After = after, Limit = 7, ConsistencyToken = deleted.ConsistencyToken };
            ListIdsResponse ids = await documents.ListIdsAsync(page, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
            page.ClearConsistencyToken();
            listedAlone.AddRange((await node.ListIdsAsync(page).ResponseAsync.WaitAsync(Timeout)).Ids);
            listed.AddRange(ids.Ids);
            if (ids.Ids.Count < 7)
            {
                break;
            }

            after = ids.Ids[^1];
        }

        DeleteDocumentsResponse none = await documents.DeleteAsync(byFilter, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(((ulong)korean.Length, (ulong)korean.Length), (deleted.Deleted, deletedAlone.Deleted));
        Assert.Equal(english, left.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
        Assert.Equal(english, listed);
        Assert.Equal(listedAlone, listed);
        Assert.Equal(0ul, none.Deleted);
        Assert.True(none.HasConsistencyToken);
    }

    [PostgresFact]
    public async Task A_routed_delete_by_a_bad_filter_is_invalid_argument_naming_the_filter_as_on_a_single_node_and_an_unknown_collection_not_found()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
        await using TestServer single = await TestServer.StartAsync().WaitAsync(Timeout);
        var routed = new Documents.DocumentsClient(cluster.Router.Channel);
        var alone = new Documents.DocumentsClient(single.Channel);
        await new Collections.CollectionsClient(cluster.Router.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        await new Collections.CollectionsClient(single.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        Filter[] bad = [new Filter { Must = { new Condition { Key = "", AnyOf = { "ko" } } } }, new Filter { Must = { new Condition { Key = "lang" } } }];

        foreach (Filter filter in bad)
        {
            var request = new DeleteDocumentsRequest { Collection = "docs", Filter = filter };
            RpcException fromRouter = await Assert.ThrowsAsync<RpcException>(() => routed.DeleteAsync(request).ResponseAsync).WaitAsync(Timeout);
            RpcException fromNode = await Assert.ThrowsAsync<RpcException>(() => alone.DeleteAsync(request).ResponseAsync).WaitAsync(Timeout);

            Assert.Equal((StatusCode.InvalidArgument, StatusCode.InvalidArgument), (fromRouter.StatusCode, fromNode.StatusCode));
            Assert.StartsWith("filter.conditions[0]", fromRouter.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(fromNode.Status.Detail, fromRouter.Status.Detail);
        }

        var unknown = new DeleteDocumentsRequest { Collection = "nope", Filter = new Filter { Must = { new Condition { Key = "lang", AnyOf = { "ko" } } } } };
        RpcException missing = await Assert.ThrowsAsync<RpcException>(() => routed.DeleteAsync(unknown).ResponseAsync).WaitAsync(Timeout);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [PostgresFact]
    public async Task A_router_whose_alias_copy_was_filled_before_a_collection_was_made_elsewhere_reads_it_through_at_once()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
        var settings = new Dictionary<string, string?>
        {
            ["KrSbert:Cluster:Role"] = "router",
            ["KrSbert:Cluster:Postgres"] = cluster.Database.ConnectionString,
            ["KrSbert:Cluster:ShardCount"] = "2",
            // No background refresh within the test: only a read-through can find the new collection.
            ["KrSbert:Cluster:AliasRefreshMilliseconds"] = "600000",
            ["KrSbert:Cluster:ShardAddresses:0"] = $"http://127.0.0.1:{cluster.Replicas[0][0]!.Port}",
            ["KrSbert:Cluster:ShardAddresses:1"] = $"http://127.0.0.1:{cluster.Replicas[1][0]!.Port}",
        };
        await using TestServer other = await TestServer.StartAsync(settings).WaitAsync(Timeout);
        var otherCollections = new Collections.CollectionsClient(other.Channel);
        ListCollectionsResponse before = await otherCollections.ListAsync(new ListCollectionsRequest()).ResponseAsync.WaitAsync(Timeout);

        await new Collections.CollectionsClient(cluster.Router.Channel).CreateAsync(new CreateCollectionRequest { Name = "news" }).ResponseAsync.WaitAsync(Timeout);
        UpsertResponse written = await new Documents.DocumentsClient(cluster.Router.Channel).UpsertAsync(new UpsertRequest { Collection = "news", Documents = { new Document { Id = "n1", Text = "The harbour is busy in summer." } } }).ResponseAsync.WaitAsync(Timeout);
        QueryResponse found = await new Protos.V1.Search.SearchClient(other.Channel).QueryAsync(new QueryRequest { Collection = "news", Text = "harbour", TopK = 3, ConsistencyToken = written.ConsistencyToken }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        CollectionInfo counted = await otherCollections.GetAsync(new GetCollectionRequest { Name = "news" }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);

        Assert.Empty(before.Collections);
        Assert.Equal("n1", Assert.Single(found.Hits).Id);
        Assert.Equal(("news", 1ul), (counted.Name, counted.Documents));
    }

    [PostgresFact]
    public async Task A_routed_collection_delete_answers_not_found_after_it_replicas_drop_their_stores_and_the_name_made_again_starts_empty()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
        var collections = new Collections.CollectionsClient(cluster.Router.Channel);
        var documents = new Documents.DocumentsClient(cluster.Router.Channel);
        var search = new Protos.V1.Search.SearchClient(cluster.Router.Channel);
        await collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        var upsert = new UpsertRequest { Collection = "docs" };
        upsert.Documents.AddRange(Enumerable.Range(0, 12).Select(n => new Document { Id = $"d{n:D2}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}." }));
        string token = (await documents.UpsertAsync(upsert).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken;
        await search.QueryAsync(new QueryRequest { Collection = "docs", Text = "bread", TopK = 1, ConsistencyToken = token }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);

        DeleteCollectionResponse dropped = await collections.DeleteAsync(new DeleteCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        RpcException get = await Assert.ThrowsAsync<RpcException>(() => collections.GetAsync(new GetCollectionRequest { Name = "docs" }).ResponseAsync).WaitAsync(Timeout);
        RpcException query = await Assert.ThrowsAsync<RpcException>(() => search.QueryAsync(new QueryRequest { Collection = "docs", Text = "bread" }).ResponseAsync).WaitAsync(Timeout);
        RpcException write = await Assert.ThrowsAsync<RpcException>(() => documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "x", Text = "more" } } }).ResponseAsync).WaitAsync(Timeout);
        RpcException again = await Assert.ThrowsAsync<RpcException>(() => collections.DeleteAsync(new DeleteCollectionRequest { Name = "docs" }).ResponseAsync).WaitAsync(Timeout);
        ListCollectionsResponse listed = await collections.ListAsync(new ListCollectionsRequest()).ResponseAsync.WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(cluster.Database).WaitAsync(Timeout);
        var version1 = new KrSbert.Cluster.Aliases.CollectionVersion("docs", 1, 2);
        IReadOnlyList<LogRecord> rows = await log.ReadAfterAsync(version1, 0, 0, 100).WaitAsync(Timeout);
        // Each replica drops its store of the deleted version at its next alias read (every 200 ms here).
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            foreach (TestServer? replica in cluster.Replicas.Select(r => r[0]))
            {
                while (replica!.Host.Engine.ListCollections().Any(c => c.Name == version1.StoreName))
                {
                    await Task.Delay(50, deadline.Token);
                }
            }
        }

        // Made again, the name is a new, empty version: nothing of the deleted one comes back.
        CollectionInfo remade = await collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        string fresh = (await documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "new", Text = "A quiet cafe has good coffee." } } }).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken;
        QueryResponse after = await search.QueryAsync(new QueryRequest { Collection = "docs", Text = "bread", TopK = 50, Exact = true, ConsistencyToken = fresh }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);

        Assert.True(dropped.Deleted);
        Assert.All([get, query, write, again], e => Assert.Equal(StatusCode.NotFound, e.StatusCode));
        Assert.Empty(listed.Collections);
        Assert.Empty(rows);
        Assert.Equal("docs", remade.Name);
        Assert.Equal(2, KrSbert.Cluster.Consistency.ConsistencyToken.Parse(fresh).Version);
        Assert.Equal("new", Assert.Single(after.Hits).Id);
    }
}
