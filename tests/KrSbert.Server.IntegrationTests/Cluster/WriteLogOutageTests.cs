using Grpc.Core;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Sharding;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.WriteLog;
using KrSbert.Protos.V1;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// PostgreSQL, the write log, stopped under a query loop and started again: reads go on from the router's alias
/// copy and the replicas' local stores, writes answer UNAVAILABLE naming PostgreSQL, and after the restart writes
/// succeed, read back with their token, and every replica reaches its shard's head.
/// </summary>
[Trait("Category", "Slow")]
public sealed class WriteLogOutageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly string[] s_subjects = ["The library", "A small bakery", "The river", "Our new train", "The mountain trail", "A quiet cafe", "The museum", "The harbour"];
    private static readonly string[] s_predicates = ["opens early on weekdays", "sells fresh bread", "floods after heavy rain", "runs every ten minutes", "is steep near the top", "has good coffee", "shows old paintings", "is busy in summer"];
    private static readonly string[] s_queries = ["where can I buy bread", "trains to the city", "art exhibition", "hiking up a hill", "coffee shop"];

    [PostgresFact]
    public async Task With_postgres_stopped_every_query_answers_and_writes_are_unavailable_and_after_its_restart_a_write_reads_back_and_every_replica_reaches_the_head()
    {
        // PostgreSQL of its own: the one the other cluster tests share must stay up.
        var postgres = new PostgresCluster();
        await postgres.InitializeAsync().WaitAsync(Timeout);
        try
        {
            await using TestCluster cluster = await TestCluster.StartAsync(postgres, shards: 2, replicasPerShard: 1).WaitAsync(Timeout);
            var collections = new Collections.CollectionsClient(cluster.Router.Channel);
            var documents = new Documents.DocumentsClient(cluster.Router.Channel);
            var search = new Protos.V1.Search.SearchClient(cluster.Router.Channel);
            await collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
            var upsert = new UpsertRequest { Collection = "docs" };
            upsert.Documents.AddRange(Enumerable.Range(0, 24).Select(n => new Document { Id = $"d{n:D2}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}." }));
            string token = (await documents.UpsertAsync(upsert).ResponseAsync.WaitAsync(Timeout)).ConsistencyToken;
            await search.QueryAsync(new QueryRequest { Collection = "docs", Text = "bread", TopK = 1, ConsistencyToken = token }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);

            using var stopLoop = new CancellationTokenSource();
            var loop = new QueryLoop(search);
            Task running = loop.RunAsync(stopLoop.Token);
            await loop.WaitForAnswersAsync(phase: 0, count: 5).WaitAsync(Timeout);

            loop.Phase = 1;
            await postgres.StopAsync().WaitAsync(Timeout);
            RpcException upsertDown = await Assert.ThrowsAsync<RpcException>(() => documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "down", Text = "Written while the log is down." } } }).ResponseAsync).WaitAsync(Timeout);
            RpcException deleteDown = await Assert.ThrowsAsync<RpcException>(() => documents.DeleteAsync(new DeleteDocumentsRequest { Collection = "docs", Ids = { "d00" } }).ResponseAsync).WaitAsync(Timeout);
            RpcException createDown = await Assert.ThrowsAsync<RpcException>(() => collections.CreateAsync(new CreateCollectionRequest { Name = "news" }).ResponseAsync).WaitAsync(Timeout);
            // Reads other than queries go on too: documents by id, the collection's counts.
            GetDocumentsResponse got = await documents.GetAsync(new GetDocumentsRequest { Collection = "docs", Ids = { "d00", "d01" } }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);
            CollectionInfo counted = await collections.GetAsync(new GetCollectionRequest { Name = "docs" }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(Timeout);
            // Several of the router's alias refreshes and the replicas' tailer retries fail meanwhile.
            await Task.WhenAll(loop.WaitForAnswersAsync(phase: 1, count: 20), Task.Delay(TimeSpan.FromSeconds(2))).WaitAsync(Timeout);

            loop.Phase = 2;
            await postgres.StartAsync().WaitAsync(Timeout);
            (UpsertResponse fresh, int refused) = await UpsertUntilAcceptedAsync(documents, new Document { Id = "fresh", Text = "A floating violin school on the lake." });
            QueryResponse seen = await search.QueryAsync(new QueryRequest { Collection = "docs", Text = "A floating violin school on the lake.", TopK = 1, Exact = true, ConsistencyToken = fresh.ConsistencyToken }, deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
            await loop.WaitForAnswersAsync(phase: 2, count: 5).WaitAsync(Timeout);
            await stopLoop.CancelAsync();
            await running.WaitAsync(Timeout);

            // Every replica, asked directly, answers once it has applied its shard's head.
            var version = new CollectionVersion("docs", 1, 2);
            PostgresWriteLog log = await PostgresWriteLog.OpenAsync(cluster.Database).WaitAsync(Timeout);
            var heads = new ConsistencyToken(1, await Task.WhenAll(Enumerable.Range(0, 2).Select(async shard => new KeyValuePair<int, long>(shard, await log.HeadAsync(version, shard)))).WaitAsync(Timeout));
            var perShard = new List<int>();
            for (int shard = 0; shard < 2; shard++)
            {
                QueryResponse all = await new Protos.V1.Search.SearchClient(cluster.Replicas[shard][0]!.Channel).QueryAsync(
                    new QueryRequest { Collection = version.StoreName, Text = "bread", TopK = 100, Exact = true, ConsistencyToken = heads.Encode() },
                    deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync.WaitAsync(Timeout);
                perShard.Add(all.Hits.Count);
            }

            Assert.Equal((0, 0, 0), (loop.Failed[0], loop.Failed[1], loop.Failed[2]));
            Assert.True(loop.Answered[1] >= 20, $"only {loop.Answered[1]} queries answered while PostgreSQL was down");
            Assert.All([upsertDown, deleteDown, createDown], e => Assert.Equal(StatusCode.Unavailable, e.StatusCode));
            Assert.All([upsertDown, deleteDown, createDown], e => Assert.Contains("PostgreSQL", e.Status.Detail, StringComparison.Ordinal));
            Assert.Equal(["d00", "d01"], got.Documents.Select(d => d.Id));
            Assert.Equal(24ul, counted.Documents);
            Assert.Equal("fresh", Assert.Single(seen.Hits).Id);
            Assert.True(refused < 600, $"{refused} upserts were refused after PostgreSQL started again");
            var map = new ShardMap(2);
            Assert.Equal([.. Enumerable.Range(0, 2).Select(shard => Enumerable.Range(0, 24).Select(n => $"d{n:D2}").Append("fresh").Count(id => map.ShardOf(id) == shard))], perShard);
        }
        finally
        {
            await postgres.DisposeAsync().WaitAsync(Timeout);
        }
    }

    /// <summary>Upserts until the router accepts (PostgreSQL's first connections after a restart may be refused), for at most a minute; returns the answer and how many were refused.</summary>
    private static async Task<(UpsertResponse Response, int Refused)> UpsertUntilAcceptedAsync(Documents.DocumentsClient documents, Document document)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        for (int refused = 0; ; refused++)
        {
            try
            {
                return (await documents.UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { document } }, deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync.WaitAsync(Timeout), refused);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && !deadline.IsCancellationRequested)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    /// <summary>Queries without a token, one after another, counting answers and failures per phase (0 before, 1 during, 2 after the outage); bounded at 5,000 queries.</summary>
    private sealed class QueryLoop(Protos.V1.Search.SearchClient search)
    {
        public int[] Answered { get; } = new int[3];

        public int[] Failed { get; } = new int[3];

        public volatile int Phase;

        public async Task RunAsync(CancellationToken stop)
        {
            for (int i = 0; i < 5_000 && !stop.IsCancellationRequested; i++)
            {
                int phase = Phase;
                try
                {
                    QueryResponse response = await search.QueryAsync(new QueryRequest { Collection = "docs", Text = s_queries[i % s_queries.Length], TopK = 5 }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: CancellationToken.None).ResponseAsync.WaitAsync(Timeout, CancellationToken.None);
                    Interlocked.Increment(ref response.Hits.Count == 5 ? ref Answered[phase] : ref Failed[phase]);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref Failed[phase]);
                }

                await Task.Delay(20, CancellationToken.None);
            }
        }

        public async Task WaitForAnswersAsync(int phase, int count)
        {
            while (Volatile.Read(ref Answered[phase]) < count)
            {
                await Task.Delay(20);
            }
        }
    }
}
