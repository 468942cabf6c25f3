using System.Text.Json;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Cli.Tests;

public class TokenizeAndEmbedCommandTests
{
    [SharedFact(TestModels.KrSbertFolder)]
    public async Task Tokenize_writes_the_notebooks_ids_tokens_mask_and_type_ids()
    {
        var result = await KrSbertProcess.RunAsync("안녕하세요. 저는 진학사에 다니고 있습니다.\n", "tokenize", "--model", SharedFolder.PathOf(TestModels.KrSbertFolder));

        Assert.Equal(0, result.ExitCode);
        using var line = JsonDocument.Parse(result.Output.Trim());
        var root = line.RootElement;
        Assert.Equal([2, 19185, 18, 9770, 17353, 9651, 20797, 9023, 18, 3], root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("##사에", root.GetProperty("tokens")[5].GetString());
        Assert.All(root.GetProperty("attention_mask").EnumerateArray(), e => Assert.Equal(1, e.GetInt32()));
        Assert.All(root.GetProperty("token_type_ids").EnumerateArray(), e => Assert.Equal(0, e.GetInt32()));
        Assert.False(root.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task Embed_reads_json_lines_and_writes_one_vector_per_text_in_order_with_ids()
    {
        const string input = "{\"id\":\"a\",\"text\":\"A man is playing a flute.\"}\n{\"id\":7,\"text\":\"Someone plays the flute.\"}\n";

        var result = await KrSbertProcess.RunAsync(input, "embed", "--pooling", "cls+mean", "--normalize", "false");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("a", lines[0].GetProperty("id").GetString());
        Assert.Equal("7", lines[1].GetProperty("id").GetString());
        Assert.Equal(768, lines[0].GetProperty("embedding").GetArrayLength());
        Assert.Contains("English-only", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embedded_vectors_equal_the_library_ones()
    {
        var result = await KrSbertProcess.RunAsync("A man is playing a flute.\n", "embed");

        float[] fromCli = JsonDocument.Parse(result.Output).RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        float[] fromLibrary = Embedders.MiniLm.Embed(["A man is playing a flute."])[0].Vector;
        Assert.Equal(fromLibrary, fromCli);
    }

    [Fact]
    public async Task A_json_line_without_text_is_exit_code_2_naming_the_line()
    {
        var result = await KrSbertProcess.RunAsync("fine\n{\"body\":\"no text field\"}\n", "embed");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("stdin:2", result.Error, StringComparison.Ordinal);
        Assert.Contains("'text'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_json_text_is_exit_code_2_naming_the_line()
    {
        var result = await KrSbertProcess.RunAsync("{\"text\":\"ok\"}\n{\"text\":\"\"}\n", "embed");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("stdin:2: text is empty", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_model_folder_is_exit_code_3()
    {
        var result = await KrSbertProcess.RunAsync("x\n", "embed", "--model", "/nonexistent/kr-sbert");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("does not exist", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_pooling_is_exit_code_2()
    {
        var result = await KrSbertProcess.RunAsync("x\n", "embed", "--pooling", "median");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("mean_sqrt_len", result.Error, StringComparison.Ordinal);
    }

    [SharedFact("data/korsts/sts-dev.tsv")]
    public async Task A_tsv_column_is_read_by_name_and_an_unknown_column_is_exit_code_2()
    {
        string tsv = SharedFolder.PathOf("data/korsts/sts-dev.tsv");

        var unknown = await KrSbertProcess.RunAsync(null, "tokenize", tsv, "--text-column", "sentence9");
        var known = await KrSbertProcess.RunAsync(null, "tokenize", tsv, "--text-column", "sentence1", "--model", SharedFolder.PathOf(TestModels.KrSbertFolder));

        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("sentence1", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(0, known.ExitCode);
        Assert.Equal(File.ReadLines(tsv).Count() - 1, known.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
