using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Cli.Tests;

public sealed class ModelPrecisionCommandTests : IDisposable
{
    private const string Texts = "안전모를 가진 한 남자가 춤을 추고 있다.\n어린아이가 말을 타고 있다.\n아이가 말을 타고 있다.\n한 여성이 양파를 썰고 있다.\n고양이가 소파에서 잔다.\n주식 시장이 오늘 급락했다.\n";

    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "krsbert-precision-cli-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [QuantizerFact]
    public async Task Verify_compare_int8_reports_cosines_neighbour_overlap_and_batch_dependence()
    {
        using var model = new TinyModelCopy(quantized: true);
        string texts = WriteTexts();

        var result = await KrSbertProcess.RunAsync(null, "model", "verify", "--model", model.Path, "--compare-int8", texts, "--alone", "3", "--model-cache", "off");

        Assert.True(result.ExitCode == 0, result.Error + result.Output);
        Assert.Contains("texts: 6", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"int8 vs fp32 cosine: mean 0\.99\d\d|int8 vs fp32 cosine: mean 1\.0000", result.Output);
        Assert.Matches(@"1st percentile (0\.99\d\d|1\.0000), 5th (0\.99\d\d|1\.0000)", result.Output);
        Assert.Contains("top-5 neighbour overlap:", result.Output, StringComparison.Ordinal);
        Assert.Contains("int8 alone vs in its batch (3 texts)", result.Output, StringComparison.Ordinal);
    }

    [QuantizerFact]
    public async Task Verify_compare_int8_beyond_the_limits_is_exit_code_4()
    {
        using var model = new TinyModelCopy(quantized: true);

        var result = await KrSbertProcess.RunAsync(null, "model", "verify", "--model", model.Path, "--compare-int8", WriteTexts(), "--mean-cosine", "1.01", "--model-cache", "off");

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("OVER", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(5, 5.0)]
    [InlineData(50, 50.0)]
    [InlineData(100, 100.0)]
    [InlineData(0.1, 1.0)]
    public void Percentiles_take_the_nearest_rank(double percent, double expected)
    {
        double[] sorted = [.. Enumerable.Range(1, 100).Select(i => (double)i)];

        Assert.Equal(expected, Commands.PrecisionComparison.Percentile(sorted, percent));
    }

    [Fact]
    public void The_percentile_of_a_few_values_is_one_of_them()
    {
        // Two thousand texts make the 1st percentile the 20th lowest; six texts make it the lowest.
        Assert.Equal(0.97, Commands.PrecisionComparison.Percentile([0.97, 0.98, 0.99, 0.995, 0.996, 0.999], 1));
        Assert.Equal(0.98, Commands.PrecisionComparison.Percentile([.. Enumerable.Repeat(0.97, 19), .. Enumerable.Repeat(0.98, 1981)], 1));
    }

    [Fact]
    public async Task Verify_without_reference_or_compare_int8_is_exit_code_2()
    {
        var result = await KrSbertProcess.RunAsync(null, "model", "verify", "--model-cache", "off");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--compare-int8", result.Error, StringComparison.Ordinal);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public async Task Embed_at_int8_without_model_int8_onnx_is_exit_code_3_naming_the_file()
    {
        var result = await KrSbertProcess.RunAsync(Texts, "embed", "--model", SharedFolder.PathOf(TestModels.TinyRandomFolder), "--model-precision", "int8", "--model-cache", "off");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("model.int8.onnx: is missing", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_precision_is_exit_code_2()
    {
        var result = await KrSbertProcess.RunAsync(Texts, "embed", "--model-precision", "fp16", "--model-cache", "off");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--model-precision is 'fp16'", result.Error, StringComparison.Ordinal);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public async Task Embed_writes_the_optimised_graph_cache_once_and_reuses_it_with_equal_vectors()
    {
        string cache = Path.Combine(_folder, "cache");
        string model = SharedFolder.PathOf(TestModels.TinyRandomFolder);

        var first = await KrSbertProcess.RunAsync(Texts, "embed", "--model", model, "--model-cache", cache, "--verbose");
        var second = await KrSbertProcess.RunAsync(Texts, "embed", "--model", model, "--model-cache", cache, "--verbose");
        var uncached = await KrSbertProcess.RunAsync(Texts, "embed", "--model", model, "--model-cache", "off");

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("Optimised graph cache Created", first.Error, StringComparison.Ordinal);
        Assert.Contains("Optimised graph cache Reused", second.Error, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(cache));
        Assert.Equal(uncached.Output, first.Output);
        Assert.Equal(uncached.Output, second.Output);
    }

    private string WriteTexts()
    {
        string path = Path.Combine(_folder, "texts.txt");
        File.WriteAllText(path, Texts);
        return path;
    }
}
