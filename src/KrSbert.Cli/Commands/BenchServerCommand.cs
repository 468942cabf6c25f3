using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using KrSbert.Cli.Input;
using KrSbert.Protos.V1;
using KrSbert.Server;
using KrSbert.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert bench server</c>: starts a server in this process on a temporary data folder, stores N documents,
/// then measures text queries at 1, 4 and 16 concurrent clients (latency split into embedding and the rest) and
/// streaming ingest against embedding alone on the same texts.
/// </summary>
internal static class BenchServerCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input", "-i") { Description = "Query and ingest texts (TSV with --text-column, JSON lines or plain)", Required = true };
        var textColumn = InputArguments.TextColumn();
        var model = new Option<string?>("--model") { Description = "Model folder (default: the embedded model)" };
        var documents = new Option<int>("--documents") { Description = "Documents stored before querying (random vectors of the model's dimension)", DefaultValueFactory = _ => 100_000 };
        var clients = new Option<string>("--clients") { Description = "Comma-separated concurrent clients", DefaultValueFactory = _ => "1,4,16" };
        var seconds = new Option<int>("--seconds") { Description = "Seconds per client count", DefaultValueFactory = _ => 10 };
        var ingestTexts = new Option<int>("--ingest-texts") { Description = "Texts for the ingest measurement", DefaultValueFactory = _ => 2000 };
        var command = new Command("server", "Measure query latency and ingest throughput of a server") { input, textColumn, model, documents, clients, seconds, ingestTexts };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            string path = result.GetValue(input)!;
            var texts = new List<string>();
            using (TextReader reader = TextRecordReader.Open(path))
            {
                await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn), sourceName: path).ReadAsync(reader, path, cancellationToken))
                {
                    texts.Add(record.Text);
                }
            }

            string data = Path.Combine(Path.GetTempPath(), "krsbert-bench-" + Guid.NewGuid().ToString("N"));
            int port = FreePort();
            var settings = new Dictionary<string, string?>
            {
                ["KrSbert:DataDirectory"] = data,
                ["KrSbert:Listen"] = $"127.0.0.1:{port}",
                ["KrSbert:MetricsListen"] = "",
                ["KrSbert:ModelDirectory"] = result.GetValue(model),
                ["Logging:LogLevel:Default"] = "Warning",
            };
            await using WebApplication app = KrSbertServer.Build([], c => c.AddInMemoryCollection(settings));
            try
            {
                await app.StartAsync(cancellationToken);
                var host = app.Services.GetRequiredService<EngineHost>();
                await host.Ready;
                using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { MaxSendMessageSize = 64 << 20 });
                Console.WriteLine($"cpu: {BenchEmbedCommand.CpuDescription()}; {Environment.ProcessorCount} logical cores");
                Console.WriteLine($"model: {host.Embedder.Model.Name} ({host.Embedder.Model.Dimension} dimensions)");
                // Ingest first, on a quiet server: no background snapshot of the large collection competes.
                await IngestAsync(channel, host, texts.Take(result.GetValue(ingestTexts)).ToList(), cancellationToken);
                await FillAsync(channel, host.Embedder.Model.Dimension, result.GetValue(documents), cancellationToken);
                foreach (int count in result.GetValue(clients)!.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)))
                {
                    await QueryAsync(channel, texts, count, TimeSpan.FromSeconds(result.GetValue(seconds)), cancellationToken);
                }

                await app.StopAsync(CancellationToken.None);
            }
            finally
            {
                if (Directory.Exists(data))
                {
                    Directory.Delete(data, recursive: true);
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task FillAsync(GrpcChannel channel, int dimension, int count, CancellationToken cancellationToken)
    {
        await new Collections.CollectionsClient(channel).CreateAsync(new CreateCollectionRequest { Name = "bench", Dimension = (uint)dimension }, cancellationToken: cancellationToken);
        var documents = new Documents.DocumentsClient(channel);
        var random = new Random(42);
        long started = Stopwatch.GetTimestamp();
        for (int first = 0; first < count; first += 1000)
        {
            var request = new UpsertRequest { Collection = "bench" };
            for (int i = first; i < Math.Min(first + 1000, count); i++)
            {
                var document = new Document { Id = $"d{i}", Text = $"document {i}" };
                for (int d = 0; d < dimension; d++)
                {
                    document.Vector.Add((float)((random.NextDouble() * 2) - 1));
                }

                request.Documents.Add(document);
            }

            await documents.UpsertAsync(request, cancellationToken: cancellationToken);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stored {count} documents (own vectors) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
        Console.WriteLine("clients  queries/s  p50 ms  p99 ms  embed p50  rest p50  rest p99");
    }

    private static async Task QueryAsync(GrpcChannel channel, List<string> texts, int clients, TimeSpan duration, CancellationToken cancellationToken)
    {
        var search = new SearchApi.SearchClient(channel);
        var samples = new System.Collections.Concurrent.ConcurrentBag<(double Total, double Embedding)>();
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            while (stopwatch.Elapsed < duration)
            {
                long started = Stopwatch.GetTimestamp();
                var response = await search.QueryAsync(new QueryRequest { Collection = "bench", Text = texts[random.Next(texts.Count)], TopK = 10, Include = new Include() }, cancellationToken: cancellationToken);
                double total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                samples.Add((total, response.Timings.EmbeddingMs));
            }
        }, cancellationToken)));
        double seconds = stopwatch.Elapsed.TotalSeconds;
        double[] totals = samples.Select(s => s.Total).Order().ToArray();
        double[] embeddings = samples.Select(s => s.Embedding).Order().ToArray();
        double[] rest = samples.Select(s => s.Total - s.Embedding).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clients,7}  {totals.Length / seconds,9:F1}  {P(totals, 0.5),6:F2}  {P(totals, 0.99),6:F2}  {P(embeddings, 0.5),9:F2}  {P(rest, 0.5),8:F2}  {P(rest, 0.99),8:F2}"));
    }

    private static async Task IngestAsync(GrpcChannel channel, EngineHost host, List<string> texts, CancellationToken cancellationToken)
    {
        host.Embedder.Embed(texts.Take(64).ToList(), cancellationToken: cancellationToken);
        long started = Stopwatch.GetTimestamp();
        host.Embedder.Embed(texts, cancellationToken: cancellationToken);
        double embedOnly = texts.Count / Stopwatch.GetElapsedTime(started).TotalSeconds;

        await new Collections.CollectionsClient(channel).CreateAsync(new CreateCollectionRequest { Name = "ingest" }, cancellationToken: cancellationToken);
        started = Stopwatch.GetTimestamp();
        using var call = new Documents.DocumentsClient(channel).Ingest(cancellationToken: cancellationToken);
        for (int i = 0; i < texts.Count; i++)
        {
            await call.RequestStream.WriteAsync(new IngestRequest { Collection = i == 0 ? "ingest" : "", Document = new Document { Id = $"t{i}", Text = texts[i] } }, cancellationToken);
        }

        await call.RequestStream.CompleteAsync();
        var summary = await call;
        double endToEnd = summary.Stored / Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ingest: {endToEnd:F1} documents/s end to end, embedding alone {embedOnly:F1} texts/s: {endToEnd / embedOnly:P1}"));
    }

    private static double P(double[] sorted, double quantile) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(quantile * sorted.Length))];

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
