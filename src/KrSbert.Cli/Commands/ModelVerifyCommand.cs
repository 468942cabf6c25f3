using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert model verify</c>: compares this engine with reference vectors written by sentence-transformers
/// (<c>deploy/export_model.py</c>) and prints the largest absolute difference per pooling mode.
/// </summary>
internal static class ModelVerifyCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var reference = new Option<string>("--reference", "-r") { Description = "JSON lines {\"text\", \"input_ids\", \"embeddings\": {\"mean\": [...], \"cls\": [...], \"default\": [...]}}", Required = true };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest absolute difference accepted", DefaultValueFactory = _ => 1e-4 };
        var command = new Command("verify", "Prove the engine equal to sentence-transformers on reference vectors") { reference, tolerance };
        model.AddTo(command, embedding: false);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            using var loggers = model.Loggers(result);
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
