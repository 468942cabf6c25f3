using System.Text.Json;
using KrSbert.Embedding.Models;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Inference;

public sealed class Int8PrecisionTests
{
    private static readonly string[] s_texts =
    [
        "안전모를 가진 한 남자가 춤을 추고 있다.", "안전모를 쓴 한 남자가 춤을 추고 있다.", "어린아이가 말을 타고 있다.", "아이가 말을 타고 있다.",
        "한 남자가 큰 플루트를 연주하고 있다.", "남자가 플루트를 연주하고 있다.", "한 여성이 양파를 썰고 있다.", "고양이가 소파에서 잔다.",
        "서울의 겨울은 춥고 1월과 2월에는 거의 매일 눈이 내린다.", "주식 시장이 오늘 급락했다.", "A man is playing a flute.", "짧다",
    ];

    [SharedFact(TestModels.TinyRandomFolder)]
    public void Int8_without_model_int8_onnx_fails_at_load_naming_the_file()
    {
        using var model = new TinyModelCopy();

        var error = Assert.Throws<ModelFolderException>(() => SentenceEmbedder.LoadFolder(model.Path, new EmbedderOptions { Precision = ModelPrecision.Int8 }));

        Assert.Contains("model.int8.onnx", error.Message, StringComparison.Ordinal);
        Assert.Contains("fp32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_model_has_no_int8_graph_and_says_so()
    {
        var error = Assert.Throws<ModelFolderException>(() => SentenceEmbedder.LoadDefault(new EmbedderOptions { Precision = ModelPrecision.Int8 }));

        Assert.Contains("model.int8.onnx", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fp32", ModelPrecision.Fp32)]
    [InlineData("INT8", ModelPrecision.Int8)]
    [InlineData(" int8 ", ModelPrecision.Int8)]
    public void Precision_names_parse(string text, ModelPrecision expected)
    {
        Assert.True(ModelPrecisions.TryParse(text, out ModelPrecision precision));
        Assert.Equal(expected, precision);
        Assert.Equal(expected == ModelPrecision.Int8 ? "model.int8.onnx" : "model.onnx", ModelPrecisions.FileName(precision));
    }

    [Theory]
    [InlineData("i8")]
    [InlineData("fp16")]
    [InlineData("")]
    public void Other_precision_names_are_refused(string text) => Assert.False(ModelPrecisions.TryParse(text, out _));

    [QuantizerFact]
    public void Int8_runs_end_to_end_on_the_tiny_models_quantised_copy_close_to_fp32()
    {
        using var model = new TinyModelCopy(quantized: true);
        using var fp32 = SentenceEmbedder.LoadFolder(model.Path, new EmbedderOptions { BatchSize = 32 });
        using var int8 = SentenceEmbedder.LoadFolder(model.Path, new EmbedderOptions { BatchSize = 32, Precision = ModelPrecision.Int8 });

        var reference = fp32.Embed(s_texts);
        var quantized = int8.Embed(s_texts);

        Assert.Equal(ModelPrecision.Int8, int8.Precision);
        var cosines = reference.Zip(quantized, (a, b) => Embedders.Cosine(a.Vector, b.Vector)).ToArray();
        Console.WriteLine($"tiny int8 vs fp32: cosine mean {cosines.Average():G9} min {cosines.Min():G9}");
        // Different vectors prove the int8 graph ran; the tiny model's random weights barely move them.
        Assert.NotEqual(reference[0].Vector, quantized[0].Vector);
        Assert.True(cosines.Min() >= MinCosine, $"cosines {string.Join(", ", cosines)}");
        Assert.True(cosines.Average() >= MeanCosine, $"mean cosine {cosines.Average()}");
    }

    [QuantizerFact]
    public void The_quantiser_writes_per_column_int8_in_onnx_runtimes_reduced_range_and_keeps_down_projections_fp32()
    {
        using var model = new TinyModelCopy(quantized: true);
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(model.Path, "config.json")));
        int layers = config.RootElement.GetProperty("num_hidden_layers").GetInt32();
        int hidden = config.RootElement.GetProperty("hidden_size").GetInt32();
        int intermediate = config.RootElement.GetProperty("intermediate_size").GetInt32();

        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(model.QuantizationReport));
        JsonElement root = report.RootElement;

        // Per layer Q, K, V, the attention output and the FFN up-projection are int8; the down-projection stays fp32.
        Assert.Equal(5 * layers, root.GetProperty("matmul_integer").GetInt32());
        JsonElement[] kept = [.. root.GetProperty("kept_fp32").EnumerateArray()];
        Assert.Equal(layers, kept.Length);
        Assert.All(kept, k => Assert.Equal([intermediate, hidden], k.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())));
        // ONNX Runtime's reduced symmetric range is [-64, 64], so the fixture holds the weights export_model.py writes
        // with either quantiser; every column's largest weight maps to 64 (another grid, such as [-63, 63], fails here).
        Assert.Equal(64, root.GetProperty("largest_abs_weight").GetInt32());
        Assert.Equal("ok", root.GetProperty("onnx_checker").GetString());
    }

    [QuantizerFact]
    public void An_int8_vector_depends_a_little_on_its_batch_and_an_fp32_vector_does_not()
    {
        using var model = new TinyModelCopy(quantized: true);
        using var int8 = SentenceEmbedder.LoadFolder(model.Path, new EmbedderOptions { BatchSize = 32, Precision = ModelPrecision.Int8 });
        using var fp32 = SentenceEmbedder.LoadFolder(model.Path, new EmbedderOptions { BatchSize = 32 });

        float[] int8Alone = int8.Embed([s_texts[0]])[0].Vector;
        float[] int8Batched = int8.Embed(s_texts)[0].Vector;
        float[] fp32Alone = fp32.Embed([s_texts[0]])[0].Vector;
        float[] fp32Batched = fp32.Embed(s_texts)[0].Vector;

        float int8Cosine = Embedders.Cosine(int8Alone, int8Batched);
        Console.WriteLine($"tiny int8 alone vs in a batch of {s_texts.Length}: cosine {int8Cosine:G9}");
        // Activation scales are per batch: other texts change the quantisation grid of this one.
        Assert.NotEqual(int8Alone, int8Batched);
        Assert.True(int8Cosine >= MinCosine, $"alone against batched: {int8Cosine}");
        Assert.True(Embedders.Cosine(fp32Alone, fp32Batched) > 0.99999f);
    }

    /// <summary>
    /// Measured on the tiny random model's quantised copy (deploy/quantize_int8.py): cosine to fp32 mean 0.99999994, min 0.99999988; alone against in
    /// a batch of 12: 1.0 (its small random weights leave the residual stream to dominate). The limits keep a margin
    /// a thousand times the measured gap, yet catch a broken graph. MiniLM's measured figures are in the README.
    /// </summary>
    private const float MinCosine = 0.9999f;

    private const float MeanCosine = 0.99995f;
}
