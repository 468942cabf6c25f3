using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using KrSbert.Cli.Input;
using KrSbert.Embedding;
using KrSbert.Embedding.Models;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert bench embed</c>: sentences/s and tokens/s at several batch sizes over a text file, the share
/// of wall time spent outside ONNX Runtime's Run, and the arithmetic rate against a given fp32 peak.
/// </summary>
internal static class BenchEmbedCommand
{
    private static readonly string[] s_simdFlags = ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"];

    public static Command Create()
    {
        var model = new ModelArguments();
        var input = new Option<string>("--input", "-i") { Description = "Text file (JSON lines, TSV with --text-column, or plain lines)", Required = true };
        var textColumn = InputArguments.TextColumn();
        var count = new Option<int>("--count", "-n") { Description = "How many texts to embed per batch size", DefaultValueFactory = _ => 2000 };
        var batchSizes = new Option<string>("--batch-sizes") { Description = "Comma-separated batch sizes", DefaultValueFactory = _ => "1,8,32" };
        var peak = new Option<double?>("--peak-gflops") { Description = "The machine's fp32 peak in GFLOP/s, to report the share reached" };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (0: one per core)", DefaultValueFactory = _ => 0 };
        var command = new Command("embed", "Measure embedding throughput") { input, textColumn, count, batchSizes, peak, threads };
        model.AddTo(command, embedding: false);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            string path = result.GetValue(input)!;
            using TextReader reader = TextRecordReader.Open(path);
            var texts = new List<string>();
            await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn), sourceName: path).ReadAsync(reader, path, cancellationToken))
            {
                if (!string.IsNullOrWhiteSpace(record.Text))
                {
                    texts.Add(record.Text);
                }

                if (texts.Count == result.GetValue(count))
                {
                    break;
                }
            }

            int[] sizes = result.GetValue(batchSizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            using var loggers = model.Loggers(result);
            Console.WriteLine($"cpu: {CpuDescription()}; {Environment.ProcessorCount} logical cores");
            Console.WriteLine($"texts: {texts.Count} from {path}; model precision {ModelPrecisions.Format(model.ParsePrecision(result))}");
            Console.WriteLine("batch  sentences/s  tokens/s  padding  outside-Run  GFLOP/s  of-peak");
            foreach (int size in sizes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using SentenceEmbedder embedder = model.LoadWith(result, loggers, new EmbedderOptions
                {
                    BatchSize = size,
                    OnnxRuntime = new() { IntraOpThreads = result.GetValue(threads) },
                });
                embedder.Embed(texts.Take(Math.Max(size, 16)).ToArray(), cancellationToken: cancellationToken);
                embedder.Statistics.Reset();

                long start = Stopwatch.GetTimestamp();
                embedder.Embed(texts, cancellationToken: cancellationToken);
                double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;

                var stats = embedder.Statistics;
                double gflops = Flops(embedder.Model, stats) / wall / 1e9;
                string ofPeak = result.GetValue(peak) is { } p ? (gflops / p).ToString("P1", CultureInfo.InvariantCulture) : "-";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{size,5}  {texts.Count / wall,11:F1}  {stats.RealTokens / wall,8:F0}  {1 - (double)stats.RealTokens / stats.PaddedTokens,7:P1}  {1 - stats.RunTime.TotalSeconds / wall,11:P2}  {gflops,7:F1}  {ofPeak,7}"));
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Matrix-multiply FLOPs of the transformer layers (projections, feed-forward, attention scores and sums).</summary>
    internal static double Flops(SentenceModelDefinition model, Embedding.Inference.InferenceStatistics stats)
    {
        if (model.Shape is not { } shape)
        {
            return double.NaN;
        }

        double h = shape.HiddenSize;
        double perToken = 2 * shape.Layers * ((4 * h * h) + (2 * h * shape.IntermediateSize));
        return (perToken * stats.PaddedTokens) + (4 * shape.Layers * h * stats.AttentionPositions);
    }

    internal static string CpuDescription()
    {
        try
        {
            string[] lines = File.ReadAllLines("/proc/cpuinfo");
            string name = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
            string[] flags = lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1].Split(' ') ?? [];
            string simd = string.Join(' ', s_simdFlags.Where(flags.Contains));
            return $"{name} [{simd}]";
        }
        catch (IOException)
        {
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
