using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KrSbert.Cli.Input;
using KrSbert.Embedding;
using KrSbert.Embedding.Models;
using KrSbert.Embedding.Pooling;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert model verify</c>: compares this engine with reference vectors written by sentence-transformers
/// (<c>deploy/export_model.py</c>) and prints the largest absolute difference per pooling mode; with
/// <c>--compare-int8</c>, compares the folder's <c>model.int8.onnx</c> with its <c>model.onnx</c> over a text file.
/// </summary>
internal static class ModelVerifyCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var reference = new Option<string?>("--reference", "-r") { Description = "JSON lines {\"text\", \"input_ids\", \"embeddings\": {\"mean\": [...], \"cls\": [...], \"default\": [...]}}" };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest absolute difference accepted", DefaultValueFactory = _ => 1e-4 };
        var int8 = new Option<string?>("--compare-int8") { Description = "Text file (JSON lines, TSV with --text-column, or plain lines): compare model.int8.onnx with model.onnx over it" };
        var textColumn = InputArguments.TextColumn();
        var count = new Option<int>("--count", "-n") { Description = "Texts compared at most", DefaultValueFactory = _ => 2000 };
        var alone = new Option<int>("--alone") { Description = "Texts also embedded alone, to measure how an int8 vector depends on its batch", DefaultValueFactory = _ => 200 };
        var minCosine = new Option<double>("--min-cosine") { Description = "Lowest int8-to-fp32 cosine accepted", DefaultValueFactory = _ => 0.985 };
        var meanCosine = new Option<double>("--mean-cosine") { Description = "Lowest mean int8-to-fp32 cosine accepted", DefaultValueFactory = _ => 0.995 };
        var minOverlap = new Option<double>("--min-overlap") { Description = "Lowest mean top-10 neighbour overlap accepted", DefaultValueFactory = _ => 0.9 };
        var command = new Command("verify", "Prove the engine equal to sentence-transformers on reference vectors, or the int8 graph close to fp32")
        {
            reference, tolerance, int8, textColumn, count, alone, minCosine, meanCosine, minOverlap,
        };
        model.AddTo(command, embedding: false);
        command.Options.Add(model.BatchSize);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            using var loggers = model.Loggers(result);
            if (result.GetValue(int8) is { } textsPath)
            {
                var texts = new List<string>();
                using (TextReader reader = TextRecordReader.Open(textsPath))
                {
                    await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn), sourceName: textsPath).ReadAsync(reader, textsPath, cancellationToken))
                    {
                        if (texts.Count == result.GetValue(count))
                        {
                            break;
                        }

                        if (!string.IsNullOrWhiteSpace(record.Text))
                        {
                            texts.Add(record.Text);
                        }
                    }
                }

                if (texts.Count < 2)
                {
                    return CommandRunner.Fail(ExitCodes.BadInput, $"{textsPath} holds {texts.Count} texts; the comparison needs at least 2");
                }

                var options = new EmbedderOptions { BatchSize = result.GetValue(model.BatchSize) };
                using SentenceEmbedder fp32 = model.LoadWith(result, loggers, options, ModelPrecision.Fp32);
                using SentenceEmbedder quantized = model.LoadWith(result, loggers, options, ModelPrecision.Int8);
                var comparison = PrecisionComparison.Measure(fp32, quantized, texts, result.GetValue(alone), cancellationToken);
                bool passed = comparison.CosineMin >= result.GetValue(minCosine)
                    && comparison.CosineMean >= result.GetValue(meanCosine)
                    && comparison.NeighbourOverlap >= result.GetValue(minOverlap);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"texts: {comparison.Texts} from {textsPath}; batch {options.BatchSize}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"int8 vs fp32 cosine: mean {comparison.CosineMean:F4} (>= {result.GetValue(meanCosine)}), min {comparison.CosineMin:F4} (>= {result.GetValue(minCosine)}); 1st percentile {comparison.CosineP1:F4}, 5th {comparison.CosineP5:F4}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"top-{comparison.Neighbours} neighbour overlap: {comparison.NeighbourOverlap:F3} (>= {result.GetValue(minOverlap)})"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"int8 alone vs in its batch ({comparison.AloneTexts} texts): cosine mean {comparison.AloneCosineMean:F4}, min {comparison.AloneCosineMin:F4}"));
                Console.WriteLine(passed ? "ok" : "OVER: int8 is further from fp32 than the limits allow");
                return passed ? ExitCodes.Success : ExitCodes.VerificationFailed;
            }

            if (result.GetValue(reference) is null)
            {
                return CommandRunner.Fail(ExitCodes.BadInput, "give --reference (vectors from deploy/export_model.py) or --compare-int8 (a text file)");
            }

            using SentenceEmbedder embedder = model.Load(result, loggers);
            string path = result.GetValue(reference)!;
            var worst = new SortedDictionary<string, double>(StringComparer.Ordinal);
            int lines = 0, idMismatches = 0;
            foreach (string line in await File.ReadAllLinesAsync(path, cancellationToken))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                lines++;
                using var document = JsonDocument.Parse(line);
                JsonElement root = document.RootElement;
                string text = root.GetProperty("text").GetString()!;
                if (root.TryGetProperty("input_ids", out JsonElement ids))
                {
                    int[] expected = ids.EnumerateArray().Select(e => e.GetInt32()).ToArray();
                    int[] actual = embedder.Tokenizer.EncodeIds(text, out _, embedder.Model.Tokenizer.MaxSequenceLength);
                    if (!expected.AsSpan().SequenceEqual(actual))
                    {
                        idMismatches++;
                        Console.Error.WriteLine($"input_ids differ for line {lines}: {text}");
                    }
                }

                foreach (JsonProperty mode in root.GetProperty("embeddings").EnumerateObject())
                {
                    EmbeddingRequest request = mode.Name == "default"
                        ? EmbeddingRequest.Default
                        : new EmbeddingRequest { Pooling = PoolingModes.Parse(mode.Name), Normalize = false };
                    float[] vector = embedder.Embed([text], request, cancellationToken)[0].Vector;
                    float[] expected = mode.Value.EnumerateArray().Select(e => e.GetSingle()).ToArray();
                    if (expected.Length != vector.Length)
                    {
                        return CommandRunner.Fail(ExitCodes.VerificationFailed, $"line {lines}, {mode.Name}: the reference has {expected.Length} dimensions, the engine {vector.Length}");
                    }

                    double difference = expected.Zip(vector, (a, b) => Math.Abs((double)a - b)).Max();
                    worst[mode.Name] = Math.Max(worst.GetValueOrDefault(mode.Name), difference);
                }
            }

            double limit = result.GetValue(tolerance);
            Console.WriteLine($"texts: {lines}; input_ids mismatches: {idMismatches}");
            foreach ((string mode, double difference) in worst)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode,-14} max |difference| {difference:E2} {(difference <= limit ? "ok" : "OVER " + limit.ToString("E1", CultureInfo.InvariantCulture))}"));
            }

            return lines > 0 && idMismatches == 0 && worst.Values.All(d => d <= limit) ? ExitCodes.Success : ExitCodes.VerificationFailed;
        }));
        return command;
    }
}
