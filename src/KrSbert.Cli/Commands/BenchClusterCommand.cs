using System.CommandLine;
using System.Globalization;
using KrSbert.Cli.Bench;
using KrSbert.Cli.Bench.Cluster;
using KrSbert.Cli.Input;
using Npgsql;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert bench cluster</c>: ingest and query latency of a single node against clusters (router, shard replicas,
/// a PostgreSQL write log), the cost the cluster adds per query, and a new replica's recovery from a snapshot plus
/// the log. Every server runs in this process on a loopback port; PostgreSQL is the caller's, in which the run
/// creates databases of its own and drops them at the end.
/// </summary>
internal static class BenchClusterCommand
{
    private const string DefaultInput = "../shared/data/korsts/sts-train.tsv";

    public static Command Create()
    {
        var postgres = new Option<string>("--postgres") { Description = "PostgreSQL connection string, e.g. \"Host=127.0.0.1;Port=5432;Username=postgres\" (the run creates and drops databases of its own there)", Required = true };
        var input = new Option<string?>("--input", "-i") { Description = $"Texts to ingest, store and query with (TSV with --text-column, JSON lines or plain; default {DefaultInput}, column sentence1)" };
        var textColumn = InputArguments.TextColumn();
        var model = new Option<string?>("--model") { Description = "Model folder of every server (default: the embedded model)" };
        var layouts = new Option<string>("--layouts") { Description = "Clusters to compare with the single node: SHARDSxREPLICAS, comma-separated", DefaultValueFactory = _ => "1x1,2x2" };
        var ingest = new Option<int>("--ingest-documents") { Description = "Documents ingested into each target (0: skip the ingest rows)", DefaultValueFactory = _ => 2000 };
        var ingestMode = new Option<string>("--ingest") { Description = "text (texts the server embeds, one Ingest stream) or vector (documents with random vectors, upserts)", DefaultValueFactory = _ => "text" };
        var documents = new Option<int>("--documents") { Description = "Documents stored before querying (random vectors of the model's dimension; 0: skip the query rows)", DefaultValueFactory = _ => 10_000 };
        var clients = new Option<string>("--clients") { Description = "Comma-separated concurrent clients", DefaultValueFactory = _ => "1,4" };
        var seconds = new Option<int>("--seconds") { Description = "Seconds per query row", DefaultValueFactory = _ => 10 };
        var query = new Option<string>("--query") { Description = "vector (random vectors: the cost beyond embedding) or text (embedded by the server or router)", DefaultValueFactory = _ => "vector" };
        var include = new Option<string>("--include") { Description = "What each hit carries: default (text and metadata), none, text, metadata or text,metadata", DefaultValueFactory = _ => "default" };
        var recovery = new Option<int>("--recovery-documents") { Description = "Vectors in the snapshot a new replica restores (0: skip the recovery row)", DefaultValueFactory = _ => 100_000 };
        var recoveryDimensions = new Option<int>("--recovery-dimensions") { Description = "Their dimension", DefaultValueFactory = _ => 768 };
        var recoveryAppended = new Option<int>("--recovery-appended") { Description = "Rows appended to the log after the snapshot (the catch-up)", DefaultValueFactory = _ => 1000 };
        var command = new Command("cluster", "Measure a cluster (router, shard replicas, PostgreSQL log) against a single node, and a replica's recovery")
        {
            postgres, input, textColumn, model, layouts, ingest, ingestMode, documents, clients, seconds, query, include, recovery, recoveryDimensions, recoveryAppended,
        };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            ServerBenchmarkQuery queryKind = result.GetValue(query) switch
            {
                "text" => ServerBenchmarkQuery.Text,
                "vector" => ServerBenchmarkQuery.Vector,
                var other => throw new FormatException($"--query '{other}' is not vector or text."),
            };
            bool ingestVectors = result.GetValue(ingestMode) switch
            {
                "text" => false,
                "vector" => true,
                var other => throw new FormatException($"--ingest '{other}' is not text or vector."),
            };
            NotNegative("--ingest-documents", result.GetValue(ingest));
            NotNegative("--documents", result.GetValue(documents));
            NotNegative("--recovery-documents", result.GetValue(recovery));
            NotNegative("--recovery-appended", result.GetValue(recoveryAppended));
            if (result.GetValue(recoveryDimensions) < 1)
            {
                throw new FormatException("--recovery-dimensions must be at least 1.");
            }

            if (result.GetValue(seconds) < 1)
            {
                throw new FormatException("--seconds must be at least 1.");
            }

            ClusterLayout[] clusterLayouts = ClusterLayout.ParseList(result.GetValue(layouts)!);
            int[] clientCounts = BenchServerCommand.ParseClients(result.GetValue(clients)!);
            BenchServerCommand.ParseInclude(result.GetValue(include)!);
            string path = result.GetValue(input) ?? DefaultInput;
            string? column = result.GetValue(textColumn) ?? (result.GetValue(input) is null ? "sentence1" : null);
            var texts = new List<string>();
            using (TextReader reader = TextRecordReader.Open(path))
            {
                await foreach (TextRecord record in new TextRecordReader(column, sourceName: path).ReadAsync(reader, path, cancellationToken))
                {
                    texts.Add(record.Text);
                }
            }

            if (texts.Count == 0)
            {
                throw new FormatException($"--input {path} holds no texts.");
            }

            var plan = new ClusterBenchPlan(
                result.GetValue(postgres)!, result.GetValue(model), texts, clusterLayouts, result.GetValue(ingest), ingestVectors, result.GetValue(documents),
                clientCounts, TimeSpan.FromSeconds(result.GetValue(seconds)), queryKind, BenchServerCommand.ParseInclude(result.GetValue(include)!),
                result.GetValue(recovery), result.GetValue(recoveryDimensions), result.GetValue(recoveryAppended));
            Console.WriteLine($"cpu: {BenchEmbedCommand.CpuDescription()}; {Environment.ProcessorCount} logical cores; load average {LoadAverage()}");
            try
            {
                await new ClusterBenchmark(plan, Console.Out).RunAsync(cancellationToken);
            }
            catch (NpgsqlException e)
            {
                return CommandRunner.Fail(ExitCodes.ServerUnavailable, $"postgres: {e.Message}");
            }

            Console.WriteLine($"load average at the end: {LoadAverage()}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void NotNegative(string option, int value)
    {
        if (value < 0)
        {
            throw new FormatException($"{option} must be 0 or more.");
        }
    }

    /// <summary>The 1, 5 and 15 minute load averages (the machine may be shared: figures are only as quiet as this).</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
