using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Cli.Bench;

/// <summary>
/// The client side of <c>krsbert bench server</c>: everything it measures goes through gRPC, so it runs the same
/// against a server in this process or one in another (<c>--server</c>). Collections it creates carry a random
/// suffix and are deleted at the end, so a running server's own collections are left alone.
/// </summary>
internal sealed class ServerBenchmark(GrpcChannel channel, TextWriter output)
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];

    /// <summary>What each query asks for.</summary>
    public required ServerBenchmarkQuery Query { get; init; }

    /// <summary>What each hit carries; null sends no <c>include</c>, which is what a client that sets nothing sends (text and metadata).</summary>
    public required Include? Include { get; init; }

    private string QueryCollection => "bench-" + _suffix;

    private string IngestCollection => "bench-ingest-" + _suffix;

    /// <summary>
    /// Streams <paramref name="texts"/> into a new collection and compares the rate with embedding alone on the same
    /// texts in the same run (<paramref name="embedOnly"/> embeds them all and answers how long that took).
    /// </summary>
    public async Task IngestAsync(IReadOnlyList<string> texts, Func<IReadOnlyList<string>, CancellationToken, Task<TimeSpan>> embedOnly, string embedOnlyLabel, CancellationToken cancellationToken)
    {
        await new Collections.CollectionsClient(channel).CreateAsync(new CreateCollectionRequest { Name = IngestCollection }, cancellationToken: cancellationToken);
        await embedOnly([.. texts.Take(64)], cancellationToken);
        double embedded = texts.Count / (await embedOnly(texts, cancellationToken)).TotalSeconds;

        long started = Stopwatch.GetTimestamp();
        using var call = new Documents.DocumentsClient(channel).Ingest(cancellationToken: cancellationToken);
        for (int i = 0; i < texts.Count; i++)
        {
            await call.RequestStream.WriteAsync(new IngestRequest { Collection = i == 0 ? IngestCollection : "", Document = new Document { Id = $"t{i}", Text = texts[i] } }, cancellationToken);
        }

        await call.RequestStream.CompleteAsync();
        IngestResponse summary = await call;
        double ingested = summary.Stored / Stopwatch.GetElapsedTime(started).TotalSeconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingest: {ingested:F1} documents/s end to end ({summary.Stored} of {texts.Count} stored), embedding alone {embedded:F1} texts/s ({embedOnlyLabel}): {ingested / embedded:P1}"));
    }

    /// <summary>Stores <paramref name="count"/> documents with random vectors of <paramref name="dimension"/>, texts from <paramref name="texts"/> and two metadata fields.</summary>
    public async Task FillAsync(int dimension, int count, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        await new Collections.CollectionsClient(channel).CreateAsync(new CreateCollectionRequest { Name = QueryCollection, Dimension = (uint)dimension }, cancellationToken: cancellationToken);
        var documents = new Documents.DocumentsClient(channel);
        var random = new Random(42);
        long started = Stopwatch.GetTimestamp();
        for (int first = 0; first < count; first += 1000)
        {
            var request = new UpsertRequest { Collection = QueryCollection };
            for (int i = first; i < Math.Min(first + 1000, count); i++)
            {
                var document = new Document { Id = $"d{i}", Text = texts[i % texts.Count] };
                document.Metadata["group"] = (i % 16).ToString(CultureInfo.InvariantCulture);
                document.Metadata["source"] = "bench";
                document.Vector.AddRange(RandomVector(random, dimension));
                request.Documents.Add(document);
            }

            await documents.UpsertAsync(request, cancellationToken: cancellationToken);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stored {count} documents ({dimension}-d vectors of their own, text and 2 metadata fields) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
        output.WriteLine($"queries: {(Query == ServerBenchmarkQuery.Text ? "text" : "vector")}, top 10, include {(Include is null ? "unset (text and metadata)" : $"text {Include.Text}, metadata {Include.Metadata}")}");
        output.WriteLine("clients  queries/s  p50 ms  p99 ms  server p50  server p99  embed p50  rest p50  rest p99");
    }

    /// <summary>Runs queries from <paramref name="clients"/> concurrent callers for <paramref name="duration"/> after a short warm-up and prints the latencies.</summary>
    public async Task QueryAsync(int clients, int dimension, IReadOnlyList<string> texts, TimeSpan duration, CancellationToken cancellationToken)
    {
        var search = new SearchApi.SearchClient(channel);
        var vectors = new Random(7);
        float[][] queries = [.. Enumerable.Range(0, 1000).Select(_ => RandomVector(vectors, dimension))];
        var samples = new List<Sample>[clients];
        await RunAsync(TimeSpan.FromSeconds(Math.Min(2, duration.TotalSeconds)), new List<Sample>[clients]);
        var stopwatch = Stopwatch.StartNew();
        await RunAsync(duration, samples);
        double seconds = stopwatch.Elapsed.TotalSeconds;

        Sample[] all = [.. samples.SelectMany(s => s)];
        double[] totals = Sorted(all, s => s.Total);
        double[] server = Sorted(all, s => s.Server);
        double[] embeddings = Sorted(all, s => s.Embedding);
        double[] rest = Sorted(all, s => s.Total - s.Embedding);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients,7}  {totals.Length / seconds,9:F1}  {P(totals, 0.5),6:F2}  {P(totals, 0.99),6:F2}  {P(server, 0.5),10:F2}  {P(server, 0.99),10:F2}  {P(embeddings, 0.5),9:F2}  {P(rest, 0.5),8:F2}  {P(rest, 0.99),8:F2}"));

        Task RunAsync(TimeSpan length, List<Sample>[] into)
        {
            var clock = Stopwatch.StartNew();
            return Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var random = new Random(c);
                var mine = new List<Sample>();
                into[c] = mine;
                while (clock.Elapsed < length)
                {
                    var request = new QueryRequest { Collection = QueryCollection, TopK = 10, Include = Include };
                    if (Query == ServerBenchmarkQuery.Text)
                    {
                        request.Text = texts[random.Next(texts.Count)];
                    }
                    else
                    {
                        request.Vector.AddRange(queries[random.Next(queries.Length)]);
                    }

                    long started = Stopwatch.GetTimestamp();
                    QueryResponse response = await search.QueryAsync(request, cancellationToken: cancellationToken);
                    mine.Add(new Sample(Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.Timings.TotalMs, response.Timings.EmbeddingMs));
                }
            }, cancellationToken)));
        }
    }

    /// <summary>Deletes the collections this run created (best effort: a failed run may have created neither).</summary>
    public async Task CleanUpAsync()
    {
        var collections = new Collections.CollectionsClient(channel);
        foreach (string name in new[] { QueryCollection, IngestCollection })
        {
            try
            {
                await collections.DeleteAsync(new DeleteCollectionRequest { Name = name }, deadline: DateTime.UtcNow.AddSeconds(30));
            }
            catch (Grpc.Core.RpcException)
            {
                // The server went away or never had it; nothing is left to clean.
            }
        }
    }

    private static float[] RandomVector(Random random, int dimension)
    {
        var vector = new float[dimension];
        for (int d = 0; d < dimension; d++)
        {
            vector[d] = (float)((random.NextDouble() * 2) - 1);
        }

        return vector;
    }

    private static double[] Sorted(Sample[] samples, Func<Sample, double> value) => [.. samples.Select(value).Order()];

    private static double P(double[] sorted, double quantile) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(quantile * sorted.Length))];

    /// <summary>One query: its latency at the client, the server's own total and its embedding time, in milliseconds.</summary>
    private readonly record struct Sample(double Total, double Server, double Embedding);
}

/// <summary>What <c>bench server</c> queries with.</summary>
internal enum ServerBenchmarkQuery
{
    /// <summary>Texts from the input, embedded by the server.</summary>
    Text,

    /// <summary>Random vectors of the collection's dimension: the server's cost beyond embedding.</summary>
    Vector,
}
