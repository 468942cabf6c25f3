using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using KrSbert.Cluster.WriteLog;
using KrSbert.Protos.V1;
using Npgsql;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Cli.Bench.Cluster;

/// <summary>
/// <c>krsbert bench cluster</c>: the same documents and queries against a single node and against clusters of
/// the given layouts, all started in this process on loopback ports over a PostgreSQL write log; then a new
/// replica's recovery from a builder's snapshot plus the log after it. Every row starts with its kind
/// (<c>ingest</c>, <c>query</c>, <c>added</c>, <c>breakdown</c>, <c>recovery</c>) and the target it measured.
/// </summary>
internal sealed partial class ClusterBenchmark(ClusterBenchPlan plan, TextWriter output)
{
    private const string IngestCollection = "bench-ingest";
    private const string QueryCollection = "bench-query";
    private readonly Dictionary<int, Latencies> _single = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using BenchDatabases databases = await BenchDatabases.OpenAsync(plan.Postgres, cancellationToken).ConfigureAwait(false);
        if (plan.IngestDocuments > 0 || plan.Documents > 0)
        {
            int dimension;
            await using (LoopbackServer single = await LoopbackServer.StartAsync(new Dictionary<string, string?> { ["KrSbert:ModelDirectory"] = plan.Model }, cancellationToken).ConfigureAwait(false))
            {
                EmbedResponse probe = await new Embeddings.EmbeddingsClient(single.Channel).EmbedAsync(new EmbedRequest { Texts = { plan.Texts[0] } }, cancellationToken: cancellationToken).ConfigureAwait(false);
                dimension = (int)probe.Dimension;
                output.WriteLine($"model: {probe.Model} ({dimension} dimensions); every server in this process, on loopback ports");
                output.WriteLine($"queries: {(plan.Query == ServerBenchmarkQuery.Text ? "text" : "vector")}, top 10, include {(plan.Include is null ? "unset (text and metadata)" : $"text {plan.Include.Text}, metadata {plan.Include.Metadata}")}; latencies in ms at the client, server = the answering server's timings.total_ms");
                await MeasureAsync("single", single.Channel, null, dimension, cancellationToken).ConfigureAwait(false);
            }

            foreach (ClusterLayout layout in plan.Layouts)
            {
                string postgres = await databases.CreateAsync(cancellationToken).ConfigureAwait(false);
                await using LoopbackCluster cluster = await LoopbackCluster.StartAsync(layout, postgres, plan.Model, cancellationToken).ConfigureAwait(false);
                await MeasureAsync($"cluster {layout}", cluster.Router.Channel, cluster, dimension, cancellationToken).ConfigureAwait(false);
            }
        }

        if (plan.RecoveryDocuments > 0)
        {
            await RecoveryAsync(databases, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The ingest row, then the query rows, of one target (a cluster when <paramref name="cluster"/> is given).</summary>
    private async Task MeasureAsync(string target, GrpcChannel channel, LoopbackCluster? cluster, int dimension, CancellationToken cancellationToken)
    {
        if (plan.IngestDocuments > 0)
        {
            await IngestAsync(target, channel, cluster, dimension, cancellationToken).ConfigureAwait(false);
        }

        if (plan.Documents == 0)
        {
            return;
        }

        await FillAsync(target, channel, cluster, dimension, cancellationToken).ConfigureAwait(false);
        foreach (int clients in plan.Clients)
        {
            Latencies measured = await QueryAsync(channel, QueryCollection, clients, dimension, cancellationToken).ConfigureAwait(false);
            string added = "";
            if (cluster is null)
            {
                _single[clients] = measured;
            }
            else if (_single.TryGetValue(clients, out Latencies? single))
            {
                added = string.Create(CultureInfo.InvariantCulture, $", added p50 {measured.Client.P50 - single.Client.P50:F2} ms, added p99 {measured.Client.P99 - single.Client.P99:F2} ms");
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"query {target} clients {clients}: {measured.PerSecond:F1} queries/s, p50 {measured.Client.P50:F2} ms, p99 {measured.Client.P99:F2} ms, server p50 {measured.Server.P50:F2} ms, server p99 {measured.Server.P99:F2} ms{added}"));
        }

        if (cluster is not null)
        {
            await BreakdownAsync(target, cluster, dimension, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Where a cluster query's time goes at one client: the router's own total split into the alias resolution
    /// (PostgreSQL today), embedding and the scatter-gather; a replica asked directly; and the alias read alone.
    /// </summary>
    private async Task BreakdownAsync(string target, LoopbackCluster cluster, int dimension, CancellationToken cancellationToken)
    {
        TimeSpan duration = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, plan.Duration.Ticks / 2));
        Latencies routed = await QueryAsync(cluster.Router.Channel, QueryCollection, 1, dimension, cancellationToken, duration).ConfigureAwait(false);
        Latencies direct = await QueryAsync(cluster.Replicas[0][0].Channel, QueryCollection + "__v1", 1, dimension, cancellationToken, duration).ConfigureAwait(false);
        double aliasRead = await AliasReadAsync(cluster.Postgres, cancellationToken).ConfigureAwait(false);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"breakdown {target} clients 1 (p50 ms): client {routed.Client.P50:F2} = router {routed.Server.P50:F2} (embedding {routed.Embedding.P50:F2}, scatter-gather {routed.Search.P50:F2}, resolve and the rest {routed.Rest.P50:F2}) + client-router hop {routed.Client.P50 - routed.Server.P50:F2}; " +
            $"replica of shard 0 asked directly: client {direct.Client.P50:F2}, server {direct.Server.P50:F2}; alias read from PostgreSQL alone {aliasRead:F2}"));
    }

    /// <summary>The median time of the read a router makes per request to resolve a collection's alias (today, without a cache).</summary>
    private static async Task<double> AliasReadAsync(string postgres, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource source = NpgsqlDataSource.Create(postgres);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(source, cancellationToken).ConfigureAwait(false);
        var times = new List<double>();
        for (int i = 0; i < 220; i++)
        {
            long started = Stopwatch.GetTimestamp();
            await log.ReadAliasesAsync(cancellationToken).ConfigureAwait(false);
            if (i >= 20)
            {
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        return Percentiles.Of(times).P50;
    }

    private async Task IngestAsync(string target, GrpcChannel channel, LoopbackCluster? cluster, int dimension, CancellationToken cancellationToken)
    {
        var create = new CreateCollectionRequest { Name = IngestCollection };
        if (plan.IngestVectors)
        {
            create.Dimension = (uint)dimension;
        }

        await new Collections.CollectionsClient(channel).CreateAsync(create, cancellationToken: cancellationToken).ConfigureAwait(false);
        var documents = new Documents.DocumentsClient(channel);
        var tokens = new List<string>();
        int count = plan.IngestDocuments;
        long started = Stopwatch.GetTimestamp();
        if (plan.IngestVectors)
        {
            var random = new Random(11);
            for (int first = 0; first < count; first += 256)
            {
                var request = new UpsertRequest { Collection = IngestCollection };
                for (int i = first; i < Math.Min(first + 256, count); i++)
                {
                    var document = new Document { Id = $"t{i}", Text = plan.Texts[i % plan.Texts.Count] };
                    document.Vector.AddRange(RandomVectors.Unit(random, dimension));
                    request.Documents.Add(document);
                }

                tokens.Add((await documents.UpsertAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false)).ConsistencyToken);
            }
        }
        else
        {
            using var call = documents.Ingest(cancellationToken: cancellationToken);
            for (int i = 0; i < count; i++)
            {
                await call.RequestStream.WriteAsync(new IngestRequest { Collection = i == 0 ? IngestCollection : "", Document = new Document { Id = $"t{i}", Text = plan.Texts[i % plan.Texts.Count] } }, cancellationToken).ConfigureAwait(false);
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            IngestResponse summary = await call.ConfigureAwait(false);
            if ((int)summary.Stored != count)
            {
                throw new InvalidOperationException($"{target} stored {summary.Stored} of {count} ingested documents: {string.Join("; ", summary.Failures.Take(3).Select(f => f.Reason))}");
            }

            tokens.Add(summary.ConsistencyToken);
        }

        double acknowledged = Stopwatch.GetElapsedTime(started).TotalSeconds;
        string visible = "";
        if (cluster is not null)
        {
            await VisibleAsync(cluster, IngestCollection, tokens, dimension, cancellationToken).ConfigureAwait(false);
            visible = string.Create(CultureInfo.InvariantCulture, $", applied on every replica {count / Stopwatch.GetElapsedTime(started).TotalSeconds:F1} docs/s");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingest {target}: {count / acknowledged:F1} docs/s acknowledged ({count} {(plan.IngestVectors ? "documents with vectors, upserts of 256" : "texts embedded by the server, one Ingest stream")}, {acknowledged:F1} s){visible}"));
    }

    /// <summary>Stores the query documents: random unit vectors (the same in every target), a text and two metadata fields each.</summary>
    private async Task FillAsync(string target, GrpcChannel channel, LoopbackCluster? cluster, int dimension, CancellationToken cancellationToken)
    {
        await new Collections.CollectionsClient(channel).CreateAsync(new CreateCollectionRequest { Name = QueryCollection, Dimension = (uint)dimension }, cancellationToken: cancellationToken).ConfigureAwait(false);
        var documents = new Documents.DocumentsClient(channel);
        var random = new Random(42);
        var tokens = new List<string>();
        long started = Stopwatch.GetTimestamp();
        for (int first = 0; first < plan.Documents; first += 500)
        {
            var request = new UpsertRequest { Collection = QueryCollection };
            for (int i = first; i < Math.Min(first + 500, plan.Documents); i++)
            {
                var document = new Document { Id = $"d{i}", Text = plan.Texts[i % plan.Texts.Count] };
                document.Metadata["group"] = (i % 16).ToString(CultureInfo.InvariantCulture);
                document.Metadata["source"] = "bench";
                document.Vector.AddRange(RandomVectors.Unit(random, dimension));
                request.Documents.Add(document);
            }

            tokens.Add((await documents.UpsertAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false)).ConsistencyToken);
        }

        if (cluster is not null)
        {
            await VisibleAsync(cluster, QueryCollection, tokens, dimension, cancellationToken).ConfigureAwait(false);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stored {target}: {plan.Documents} documents ({dimension}-d vectors, text, 2 metadata fields) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
    }

    /// <summary>
    /// Waits until every replica of <paramref name="cluster"/> has applied each of <paramref name="tokens"/>: each is
    /// asked directly, with the token, for its local collection. Through the router only one replica per shard would
    /// be asked, and the other may not even follow a collection created a moment ago yet (it learns of it at its next
    /// alias poll); the query rows must not meet that.
    /// </summary>
    private static async Task VisibleAsync(LoopbackCluster cluster, string collection, IReadOnlyList<string> tokens, int dimension, CancellationToken cancellationToken)
    {
        float[] vector = RandomVectors.Unit(new Random(3), dimension);
        foreach (LoopbackServer replica in cluster.Replicas.SelectMany(r => r))
        {
            var search = new SearchApi.SearchClient(replica.Channel);
            foreach (string token in tokens.Where(t => t.Length > 0))
            {
                var request = new QueryRequest { Collection = collection + "__v1", TopK = 1, ConsistencyToken = token };
                request.Vector.AddRange(vector);
                await search.QueryAsync(request, deadline: DateTime.UtcNow.AddMinutes(30), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Queries from <paramref name="clients"/> concurrent callers for the plan's duration (or <paramref name="duration"/>) after a short warm-up.</summary>
    private async Task<Latencies> QueryAsync(GrpcChannel channel, string collection, int clients, int dimension, CancellationToken cancellationToken, TimeSpan? duration = null)
    {
        TimeSpan length = duration ?? plan.Duration;
        var search = new SearchApi.SearchClient(channel);
        var vectors = new Random(7);
        float[][] queries = [.. Enumerable.Range(0, 1000).Select(_ => RandomVectors.Unit(vectors, dimension))];
        await RunAsync(TimeSpan.FromSeconds(Math.Min(2, length.TotalSeconds)), new List<Sample>[clients]).ConfigureAwait(false);
        var samples = new List<Sample>[clients];
        var stopwatch = Stopwatch.StartNew();
        await RunAsync(length, samples).ConfigureAwait(false);
        return Latencies.Of([.. samples.SelectMany(s => s)], stopwatch.Elapsed);

        Task RunAsync(TimeSpan runFor, List<Sample>[] into)
        {
            var clock = Stopwatch.StartNew();
            return Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var random = new Random(c);
                var mine = new List<Sample>();
                into[c] = mine;
                while (clock.Elapsed < runFor)
                {
                    var request = new QueryRequest { Collection = collection, TopK = 10, Include = plan.Include };
                    if (plan.Query == ServerBenchmarkQuery.Text)
                    {
                        request.Text = plan.Texts[random.Next(plan.Texts.Count)];
                    }
                    else
                    {
                        request.Vector.AddRange(queries[random.Next(queries.Length)]);
                    }

                    long started = Stopwatch.GetTimestamp();
                    QueryResponse response = await search.QueryAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
                    mine.Add(new Sample(Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.Timings));
                }
            }, cancellationToken)));
        }
    }

    /// <summary>One query: its latency at the client and the answering server's own timings.</summary>
    private readonly record struct Sample(double Client, Timings Server);

    /// <summary>The percentiles of a query row.</summary>
    private sealed record Latencies(double PerSecond, Percentiles Client, Percentiles Server, Percentiles Embedding, Percentiles Search, Percentiles Rest)
    {
        public static Latencies Of(Sample[] samples, TimeSpan elapsed) => new(
            samples.Length / elapsed.TotalSeconds,
            Percentiles.Of(samples.Select(s => s.Client)),
            Percentiles.Of(samples.Select(s => s.Server.TotalMs)),
            Percentiles.Of(samples.Select(s => s.Server.EmbeddingMs)),
            Percentiles.Of(samples.Select(s => s.Server.SearchMs)),
            Percentiles.Of(samples.Select(s => s.Server.TotalMs - s.Server.SearchMs - s.Server.EmbeddingMs)));
    }
}
