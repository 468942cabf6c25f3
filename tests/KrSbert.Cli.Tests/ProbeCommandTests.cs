using System.Globalization;
using System.Text;
using System.Text.Json;
using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;

namespace KrSbert.Cli.Tests;

public sealed class ProbeCommandTests : IDisposable
{
    private static readonly string[] s_words = ["하늘", "바다", "학교", "친구", "사과", "기차", "음악", "커피", "고양이", "강아지", "공원", "영화", "노래", "편지", "겨울", "여름", "아침", "회사", "나무", "꽃"];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "krsbert-probe-" + Guid.NewGuid().ToString("N"));

    public ProbeCommandTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [SharedFact(TestModels.TinyRandomFolder)]
    public async Task A_tsv_of_pairs_gives_a_table_json_csv_and_svg_chart()
    {
        string input = Path.Combine(_folder, "pairs.tsv");
        var builder = new StringBuilder("id\tsentence1\tsentence2\tgold\n");
        foreach (var (a, b, i) in Texts(90, 1).Zip(Texts(90, 2), (a, b) => (a, "그리고 " + b)).Select((p, i) => (p.Item1, p.Item2, i)))
        {
            builder.Append(CultureInfo.InvariantCulture, $"{i}\t{a}\t{b}\t{(i % 3 == 0 ? "yes" : "no")}\n");
        }

        await File.WriteAllTextAsync(input, builder.ToString());

        var result = await KrSbertProcess.RunAsync(null, "probe", input, "--model", SharedFolder.PathOf(TestModels.TinyRandomFolder),
            "--text-column", "sentence1", "--pair-column", "sentence2", "--label-column", "gold", "--task", "classification",
            "--pooling", "mean,max,pooler", "--folds", "3", "--repeats", "2", "--inner-folds", "3",
            "--json", Path.Combine(_folder, "r.json"), "--csv", Path.Combine(_folder, "r.csv"), "--chart", Path.Combine(_folder, "r.svg"));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("classification (logistic regression, 2 classes) on 90 sentence pairs", result.Output, StringComparison.Ordinal);
        Assert.Contains("max [u,v,|u-v|,u*v]", result.Output, StringComparison.Ordinal);
        Assert.Contains("majority class *", result.Output, StringComparison.Ordinal);
        Assert.Contains("cosine(tf-idf) *", result.Output, StringComparison.Ordinal);
        Assert.Contains("unavailable: pooler:", result.Output, StringComparison.Ordinal);
        Assert.Contains("/180 texts", result.Error, StringComparison.Ordinal);
        Assert.Contains("fits", result.Error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "r.json")));
        var candidates = json.RootElement.GetProperty("candidates");
        Assert.Equal(8, candidates.GetArrayLength());
        Assert.Equal(6, candidates[0].GetProperty("metrics").GetProperty("accuracy").GetProperty("folds").GetArrayLength());
        Assert.Equal(28, json.RootElement.GetProperty("comparisons").GetArrayLength());
        string[] csv = await File.ReadAllLinesAsync(Path.Combine(_folder, "r.csv"));
        Assert.Equal(1 + (8 * 2), csv.Length);
        string svg = await File.ReadAllTextAsync(Path.Combine(_folder, "r.svg"));
        Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        Assert.Equal(16, svg.Split("<circle").Length - 1);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public async Task A_stopped_servers_collection_is_probed_offline_from_a_metadata_field()
    {
        string data = Path.Combine(_folder, "data");
        await using (var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data }, Embedders.TinyKrSbert).WaitAsync(TimeSpan.FromSeconds(60)))
        {
            await engine.CreateCollectionAsync(new CollectionDefinition { Name = "notes" }).WaitAsync(TimeSpan.FromSeconds(60));
            var documents = Texts(60, 3).Select((t, i) => new DocumentInput($"d{i}", t, Metadata: i % 10 == 0
                ? new Dictionary<string, string>()
                : new Dictionary<string, string> { ["age"] = (20 + (i % 7)).ToString(CultureInfo.InvariantCulture) })).ToList();
            await engine.UpsertAsync("notes", documents).WaitAsync(TimeSpan.FromSeconds(60));
        }

        var result = await KrSbertProcess.RunAsync(null, "probe", "--data", data, "--collection", "notes", "--label-field", "age",
            "--model", SharedFolder.PathOf(TestModels.TinyRandomFolder), "--task", "regression", "--pooling", "mean,cls", "--folds", "3", "--repeats", "1", "--inner-folds", "3");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("regression (ridge) on 54 texts (6 rows skipped without a label)", result.Output, StringComparison.Ordinal);
        Assert.Contains("mean label *", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_folder_a_server_holds_is_refused_with_exit_code_6()
    {
        string data = Path.Combine(_folder, "held");
        await using var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data }, embedder: null).WaitAsync(TimeSpan.FromSeconds(60));

        var result = await KrSbertProcess.RunAsync(null, "probe", "--data", data, "--collection", "c", "--label-field", "f", "--task", "regression");

        Assert.Equal(6, result.ExitCode);
        Assert.Contains("in use by another process", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_collection_is_exit_code_5()
    {
        string data = Path.Combine(_folder, "empty");
        await using (await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data }, embedder: null).WaitAsync(TimeSpan.FromSeconds(60)))
        {
        }

        var result = await KrSbertProcess.RunAsync(null, "probe", "--data", data, "--collection", "nope", "--label-field", "f", "--task", "regression");

        Assert.Equal(5, result.ExitCode);
    }

    [Fact]
    public async Task A_non_numeric_regression_label_names_its_line_with_exit_code_2()
    {
        string input = Path.Combine(_folder, "bad.jsonl");
        var lines = Enumerable.Range(0, 30).Select(i => JsonSerializer.Serialize(new { text = $"text {i}", label = i == 12 ? "old" : "3" }));
        await File.WriteAllLinesAsync(input, lines);

        var result = await KrSbertProcess.RunAsync(null, "probe", input, "--task", "regression");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("line 13: label 'old' is not a number", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--pooling", "mean,avg", "'avg' is not a pooling")]
    [InlineData("--folds", "1", "--folds must be at least 2")]
    [InlineData("--label-column", "missing", "no column 'missing'")]
    public async Task Bad_options_are_exit_code_2_with_the_reason(string option, string value, string message)
    {
        string input = Path.Combine(_folder, "ok.csv");
        await File.WriteAllLinesAsync(input, ["text,label", .. Enumerable.Range(0, 30).Select(i => $"text {i},{i % 2}")]);

        var result = await KrSbertProcess.RunAsync(null, "probe", input, "--task", "classification", option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fewer_texts_than_folds_is_exit_code_2()
    {
        string input = Path.Combine(_folder, "few.csv");
        await File.WriteAllLinesAsync(input, ["text,label", .. Enumerable.Range(0, 30).Select(i => $"text {i % 6},{i % 2}")]);

        var result = await KrSbertProcess.RunAsync(null, "probe", input, "--task", "classification");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("only 6 independent groups of texts", result.Error, StringComparison.Ordinal);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public async Task Ctrl_c_during_the_folds_stops_cleanly_with_exit_code_130()
    {
        string input = Path.Combine(_folder, "many.jsonl");
        await File.WriteAllLinesAsync(input, Texts(600, 4).Select((t, i) => JsonSerializer.Serialize(new { text = t, label = i % 9 })));
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "krsbert.dll"), "probe", input, "--task", "regression", "--model", SharedFolder.PathOf(TestModels.TinyRandomFolder), "--folds", "10", "--repeats", "30" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        var error = new StringBuilder();
        string? line;
        while ((line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) is not null && !line.StartsWith("folds", StringComparison.Ordinal))
        {
            error.AppendLine(line);
        }

        Assert.NotNull(line);
        using (var interrupt = System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        error.Append(await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("cancelled", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("candidate", await output, StringComparison.Ordinal);
    }

    private static List<string> Texts(int count, int seed)
    {
        var random = new Random(seed);
        var texts = new HashSet<string>(StringComparer.Ordinal);
        while (texts.Count < count)
        {
            texts.Add(string.Join(' ', Enumerable.Range(0, random.Next(3, 8)).Select(_ => s_words[random.Next(s_words.Length)])));
        }

        return [.. texts];
    }
}
