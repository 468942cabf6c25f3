using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using KrSbert.Cli.Bench;
using KrSbert.Cli.Input;
using KrSbert.Protos.V1;
using KrSbert.Server;
using KrSbert.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert bench server</c>: measures streaming ingest against embedding alone on the same texts, then stores N
/// documents and measures queries at 1, 4 and 16 concurrent clients (latency at the client, the server's own total,
/// embedding and the rest). Queries ask what a client that sets nothing asks (text and metadata with each hit)
/// unless <c>--include</c> says otherwise. Without <c>--server</c> it starts a server in this process on a
/// temporary data folder; with it, it measures a running <c>krsbert serve</c> from this separate process.
/// </summary>
internal static class BenchServerCommand
{
    public static Command Create()
    {
        var server = new ServerArguments();
        server.Server.Description = "Measure a running server at this address (default: start one in this process)";
        var input = new Option<string>("--input", "-i") { Description = "Query and ingest texts (TSV with --text-column, JSON lines or plain)", Required = true };
        var textColumn = InputArguments.TextColumn();
        var model = new Option<string?>("--model") { Description = "Model folder of the in-process server (default: the embedded model)" };
        var documents = new Option<int>("--documents") { Description = "Documents stored before querying (random vectors of the model's dimension)", DefaultValueFactory = _ => 100_000 };
        var clients = new Option<string>("--clients") { Description = "Comma-separated concurrent clients", DefaultValueFactory = _ => "1,4,16" };
        var seconds = new Option<int>("--seconds") { Description = "Seconds per client count", DefaultValueFactory = _ => 10 };
        var ingestTexts = new Option<int>("--ingest-texts") { Description = "Texts for the ingest measurement (0: skip it)", DefaultValueFactory = _ => 2000 };
        var query = new Option<string>("--query") { Description = "text (embedded by the server) or vector (random vectors: the cost beyond embedding)", DefaultValueFactory = _ => "text" };
        var include = new Option<string>("--include") { Description = "What each hit carries: default (the request sets nothing: text and metadata), none, text, metadata or text,metadata", DefaultValueFactory = _ => "default" };
        var command = new Command("server", "Measure query latency and ingest throughput of a server") { input, textColumn, model, documents, clients, seconds, ingestTexts, query, include };
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            ServerBenchmarkQuery queryKind = result.GetValue(query) switch
            {
                "text" => ServerBenchmarkQuery.Text,
                "vector" => ServerBenchmarkQuery.Vector,
                var other => throw new FormatException($"--query '{other}' is not text or vector."),
            };
            Include? includes = ParseInclude(result.GetValue(include)!);
            int[] clientCounts = ParseClients(result.GetValue(clients)!);
            bool remote = server.IsGiven(result);
            if (remote && result.GetValue(model) is not null)
            {
                throw new FormatException("--model sets the in-process server's model; a server given with --server runs its own.");
            }

            string path = result.GetValue(input)!;
            var texts = new List<string>();
            using (TextReader reader = TextRecordReader.Open(path))
            {
                await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn), sourceName: path).ReadAsync(reader, path, cancellationToken))
                {
                    texts.Add(record.Text);
                }
            }

            var plan = new Plan(texts, result.GetValue(documents), clientCounts, TimeSpan.FromSeconds(result.GetValue(seconds)), result.GetValue(ingestTexts), queryKind, includes);
            Console.WriteLine($"cpu: {BenchEmbedCommand.CpuDescription()}; {Environment.ProcessorCount} logical cores");
            if (remote)
            {
                using GrpcChannel channel = server.Channel(result);
                Console.WriteLine($"server: {result.GetValue(server.Server)} (client in this process, server in its own)");
                await RunAsync(channel, plan, (batch, token) => EmbedRemotelyAsync(channel, batch, token), "Embed calls of 256 texts", cancellationToken);
                return ExitCodes.Success;
            }

            return await RunInProcessAsync(result.GetValue(model), plan, cancellationToken);
        }));
        return command;
    }

    private static async Task<int> RunInProcessAsync(string? model, Plan plan, CancellationToken cancellationToken)
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-bench-" + Guid.NewGuid().ToString("N"));
        int port = FreePort();
        var settings = new Dictionary<string, string?>
        {
            ["KrSbert:DataDirectory"] = data,
            ["KrSbert:Listen"] = $"127.0.0.1:{port}",
            ["KrSbert:MetricsListen"] = "",
            ["KrSbert:ModelDirectory"] = model,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        await using WebApplication app = KrSbertServer.Build([], c => c.AddInMemoryCollection(settings));
        try
        {
            await app.StartAsync(cancellationToken);
            var host = app.Services.GetRequiredService<EngineHost>();
            await host.Ready;
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { MaxSendMessageSize = 64 << 20 });
            Console.WriteLine("server: in this process (use --server to measure a running one from a separate process)");
            await RunAsync(channel, plan, (batch, token) =>
            {
                long started = Stopwatch.GetTimestamp();
                host.Embedder.Embed(batch, cancellationToken: token);
                return Task.FromResult(Stopwatch.GetElapsedTime(started));
            }, "the embedder, all texts in one call", cancellationToken);
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
    }

    private static async Task RunAsync(GrpcChannel channel, Plan plan, Func<IReadOnlyList<string>, CancellationToken, Task<TimeSpan>> embedOnly, string embedOnlyLabel, CancellationToken cancellationToken)
    {
        var benchmark = new ServerBenchmark(channel, Console.Out) { Query = plan.Query, Include = plan.Include };
        try
        {
            // The server's model and dimension, from a probe collection that the ingest measurement then uses.
            EmbedResponse probe = await new Embeddings.EmbeddingsClient(channel).EmbedAsync(new EmbedRequest { Texts = { plan.Texts[0] } }, cancellationToken: cancellationToken);
            Console.WriteLine($"model: {probe.Model} ({probe.Dimension} dimensions)");
            if (plan.IngestTexts > 0)
            {
                // Ingest first, on a quiet server: no background snapshot of the large collection competes.
                await benchmark.IngestAsync([.. plan.Texts.Take(plan.IngestTexts)], embedOnly, embedOnlyLabel, cancellationToken);
            }

            await benchmark.FillAsync((int)probe.Dimension, plan.Documents, plan.Texts, cancellationToken);
            foreach (int count in plan.Clients)
            {
                await benchmark.QueryAsync(count, (int)probe.Dimension, plan.Texts, plan.Duration, cancellationToken);
            }
        }
        finally
        {
            await benchmark.CleanUpAsync();
        }
    }

    private static async Task<TimeSpan> EmbedRemotelyAsync(GrpcChannel channel, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var embeddings = new Embeddings.EmbeddingsClient(channel);
        long started = Stopwatch.GetTimestamp();
        foreach (string[] batch in texts.Chunk(256))
        {
            await embeddings.EmbedAsync(new EmbedRequest { Texts = { batch } }, cancellationToken: cancellationToken);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary><c>--include</c>: null for default (no include in the request), else an explicit one.</summary>
    internal static Include? ParseInclude(string value)
    {
        if (value == "default")
        {
            return null;
        }

        var include = new Include();
        if (value == "none")
        {
            return include;
        }

        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            switch (part)
            {
                case "text":
                    include.Text = true;
                    break;
                case "metadata":
                    include.Metadata = true;
                    break;
                default:
                    throw new FormatException($"--include '{value}': '{part}' is not default, none, text or metadata.");
            }
        }

        return include;
    }

    /// <summary>A comma-separated list of client counts, each a positive whole number (<c>--clients 1,4,16</c>).</summary>
    internal static int[] ParseClients(string value)
    {
        var counts = new List<int>();
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            counts.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count > 0
                ? count
                : throw new FormatException($"--clients '{value}': '{part}' is not a positive whole number."));
        }

        return [.. counts];
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record Plan(List<string> Texts, int Documents, int[] Clients, TimeSpan Duration, int IngestTexts, ServerBenchmarkQuery Query, Include? Include);
}
