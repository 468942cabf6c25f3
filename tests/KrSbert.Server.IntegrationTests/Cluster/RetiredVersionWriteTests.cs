using Grpc.Core;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Rebuilding;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.WriteLog;
using KrSbert.Protos.V1;
using Npgsql;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// Writes that would be lost without the write log's guards: a stream that resolved a version a rebuild then retired
/// is refused (ABORTED, retried by the client) instead of acknowledged into a drained version, and creates racing
/// through two routers leave one collection, never an empty one swapped in for a live one.
/// </summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed class RetiredVersionWriteTests(PostgresCluster postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [PostgresFact]
    public async Task An_ingest_stream_whose_version_a_rebuild_flipped_away_is_aborted_with_the_token_of_its_earlier_batches_and_a_retry_lands_in_the_new_version()
    {
        await using NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        await using TestServer replica = await TestCluster.StartReplicaAsync(TestCluster.ShardSettings(database.ConnectionString, shards: 1, shard: 0)).WaitAsync(Timeout);
        // Batches of 4, so the stream appends once before the flip and once after.
        await using TestServer router = await TestServer.StartAsync(Router(database, replica, new KeyValuePair<string, string?>("KrSbert:Limits:MaxDocumentsPerRequest", "4"))).WaitAsync(Timeout);
        await new Collections.CollectionsClient(router.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        var documents = new Documents.DocumentsClient(router.Channel);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        CollectionVersion v1 = (await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs");

        using var call = documents.Ingest(deadline: DateTime.UtcNow.AddSeconds(120));
        for (int n = 0; n < 4; n++)
        {
            await call.RequestStream.WriteAsync(new IngestRequest { Collection = n == 0 ? "docs" : "", Document = new Document { Id = $"a{n}", Text = $"The library opens at {n} o'clock." } }).WaitAsync(Timeout);
        }

        while (await log.HeadAsync(v1, 0).WaitAsync(Timeout) < 4)
        {
            await Task.Delay(20).WaitAsync(Timeout);
        }

        VersionRebuild rebuild = await VersionRebuild.StageAsync(log, "docs", 1).WaitAsync(Timeout);
        await rebuild.FlipAsync(batchSize: 100).WaitAsync(Timeout);
        for (int n = 0; n < 4; n++)
        {
            await call.RequestStream.WriteAsync(new IngestRequest { Document = new Document { Id = $"b{n}", Text = $"The bakery sells {n} loaves." } }).WaitAsync(Timeout);
        }

        await call.RequestStream.CompleteAsync().WaitAsync(Timeout);
        RpcException aborted = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync).WaitAsync(Timeout);
        var retry = new UpsertRequest { Collection = "docs" };
        retry.Documents.AddRange(Enumerable.Range(0, 4).Select(n => new Document { Id = $"b{n}", Text = $"The bakery sells {n} loaves." }));
        UpsertResponse retried = await documents.UpsertAsync(retry).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(StatusCode.Aborted, aborted.StatusCode);
        Assert.Contains("The version of collection 'docs' changed while this write ran", aborted.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("retry the request", aborted.Status.Detail, StringComparison.Ordinal);
        ConsistencyToken committed = ConsistencyToken.Parse(aborted.Trailers.GetValue("krsbert-consistency-token")!);
        Assert.Equal((v1.Version, 4L), (committed.Version, committed.SequenceFor(0)));
        // Nothing of the refused batch reached the retired version; its first batch was drained into the new one.
        Assert.Equal(4, await log.HeadAsync(v1, 0).WaitAsync(Timeout));
        Assert.Equal(["a0", "a1", "a2", "a3"], (await log.ReadAfterAsync(rebuild.Target, 0, 0, 100).WaitAsync(Timeout)).Select(r => r.Entry.DocumentId).Take(4));
        Assert.Equal(rebuild.Target.Version, ConsistencyToken.Parse(retried.ConsistencyToken).Version);
    }

    [PostgresFact]
    public async Task Creates_of_one_name_racing_through_two_routers_leave_one_collection_that_takes_writes_through_both()
    {
        await using NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
        await using TestServer replica = await TestCluster.StartReplicaAsync(TestCluster.ShardSettings(database.ConnectionString, shards: 1, shard: 0)).WaitAsync(Timeout);
        await using TestServer first = await TestServer.StartAsync(Router(database, replica)).WaitAsync(Timeout);
        await using TestServer second = await TestServer.StartAsync(Router(database, replica)).WaitAsync(Timeout);
        TestServer[] routers = [first, second];

        Task[] creates = [.. Enumerable.Range(0, 8).Select(i => new Collections.CollectionsClient(routers[i % 2].Channel)
            .CreateAsync(new CreateCollectionRequest { Name = "docs", Metric = i % 2 == 0 ? Metric.Cosine : Metric.L2 }).ResponseAsync)];
        try
        {
            await Task.WhenAll(creates).WaitAsync(Timeout);
        }
        catch (RpcException)
        {
            // The losers; each is checked below.
        }

        Assert.Equal(1, creates.Count(c => c.IsCompletedSuccessfully));
        Assert.All(creates.Where(c => !c.IsCompletedSuccessfully), c => Assert.Equal(StatusCode.AlreadyExists, Assert.IsType<RpcException>(c.Exception!.InnerException).StatusCode));
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        CollectionVersion serving = (await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs");
        string metric = (await log.ReadSettingsAsync(serving).WaitAsync(Timeout))!.Metric;
        Assert.Equal(Array.FindIndex(creates, c => c.IsCompletedSuccessfully) % 2 == 0 ? "cosine" : "l2", metric);

        // Writes through either router land in the one serving version, and a read with their tokens finds both.
        ConsistencyToken token = new(serving.Version, []);
        for (int r = 0; r < 2; r++)
        {
            var upsert = new UpsertRequest { Collection = "docs", Documents = { new Document { Id = $"r{r}", Text = $"Written through router {r}." } } };
            token = token.Merge(ConsistencyToken.Parse((await new Documents.DocumentsClient(routers[r].Channel).UpsertAsync(upsert).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken));
        }

        QueryResponse found = await new Protos.V1.Search.SearchClient(first.Channel)
            .QueryAsync(new QueryRequest { Collection = "docs", Text = "written", TopK = 10, Exact = true, ConsistencyToken = token.Encode() }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(["r0", "r1"], found.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
    }

    private static Dictionary<string, string?> Router(NpgsqlDataSource database, TestServer replica, params KeyValuePair<string, string?>[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["KrSbert:Cluster:Role"] = "router",
            ["KrSbert:Cluster:Postgres"] = database.ConnectionString,
            ["KrSbert:Cluster:ShardCount"] = "1",
            ["KrSbert:Cluster:ShardAddresses:0"] = $"http://127.0.0.1:{replica.Port}",
            ["KrSbert:Cluster:AliasRefreshMilliseconds"] = "200",
        };
        foreach ((string key, string? value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }
}
