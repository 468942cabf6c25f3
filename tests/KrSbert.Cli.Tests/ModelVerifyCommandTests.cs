using System.Text.Json;
using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Cli.Tests;

public sealed class ModelVerifyCommandTests : IDisposable
{
    private readonly string _reference = Path.Combine(Path.GetTempPath(), $"krsbert-reference-{Guid.NewGuid():N}.jsonl");

    public void Dispose() => File.Delete(_reference);

    [Fact]
    public async Task Equal_vectors_pass_and_print_the_difference_per_pooling_mode()
    {
        WriteReference(perturb: 0);

        var result = await KrSbertProcess.RunAsync(null, "model", "verify", "--reference", _reference);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("input_ids mismatches: 0", result.Output, StringComparison.Ordinal);
        foreach (string mode in new[] { "cls", "max", "mean", "mean_sqrt_len", "default" })
        {
            Assert.Contains(mode, result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_difference_over_the_tolerance_is_exit_code_4()
    {
        WriteReference(perturb: 0.01f);

        var result = await KrSbertProcess.RunAsync(null, "model", "verify", "--reference", _reference);

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("OVER", result.Output, StringComparison.Ordinal);
    }

    /// <summary>A reference in export_model.py's format, from the library itself: this tests the command, not the engine.</summary>
    private void WriteReference(float perturb)
    {
        string[] texts = ["A man is playing a flute.", "The stock market fell."];
        using var stream = File.Create(_reference);
        foreach (string text in texts)
        {
            using var json = new Utf8JsonWriter(stream);
            json.WriteStartObject();
            json.WriteString("text", text);
            json.WriteStartArray("input_ids");
            foreach (int id in Embedders.MiniLm.Tokenizer.EncodeIds(text, out _))
            {
                json.WriteNumberValue(id);
            }

            json.WriteEndArray();
            json.WriteStartObject("embeddings");
            foreach (PoolingMode mode in PoolingModes.All)
            {
                WriteVector(json, PoolingModes.Format(mode), Embedders.MiniLm.Embed([text], new EmbeddingRequest { Pooling = mode, Normalize = false })[0].Vector, perturb);
            }

            WriteVector(json, "default", Embedders.MiniLm.Embed([text])[0].Vector, 0);
            json.WriteEndObject();
            json.WriteEndObject();
            json.Flush();
            stream.WriteByte((byte)'\n');
        }
    }

    private static void WriteVector(Utf8JsonWriter json, string name, float[] vector, float perturb)
    {
        json.WriteStartArray(name);
        for (int i = 0; i < vector.Length; i++)
        {
            json.WriteNumberValue(i == 0 ? vector[i] + perturb : vector[i]);
        }

        json.WriteEndArray();
    }
}
