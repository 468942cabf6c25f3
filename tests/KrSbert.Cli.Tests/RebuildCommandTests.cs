using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Querying;

namespace KrSbert.Cli.Tests;

public sealed class RebuildCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "krsbert-rebuild-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task Rebuild_from_stored_vectors_keeps_every_answer()
    {
        var random = new Random(1);
        var vectors = Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToList();
        await using (var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _data }, embedder: null))
        {
            await engine.CreateCollectionAsync(new CollectionDefinition { Name = "v", Dimension = 8 });
            await engine.UpsertAsync("v", vectors.Select((v, i) => new DocumentInput($"d{i}", null, v)).ToList());
            await engine.DeleteAsync("v", ["d0", "d1"]);
        }

        var result = await KrSbertProcess.RunAsync(null, "rebuild", "--data", _data);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("v: rebuilt 198 vectors", result.Output, StringComparison.Ordinal);
        Assert.Contains("198/198 vectors", result.Error, StringComparison.Ordinal);
        await using var reopened = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _data }, embedder: null);
        Assert.Equal(0, reopened.GetCollection("v").IndexRemovedEntries);
        Assert.Equal("d5", (await reopened.SearchAsync("v", new SearchRequest { Vector = vectors[5] })).Hits[0].Id);
    }

    [Fact]
    public async Task Rebuild_refuses_a_database_another_process_holds()
    {
        await using var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _data }, embedder: null);

        var result = await KrSbertProcess.RunAsync(null, "rebuild", "--data", _data);

        Assert.Equal(6, result.ExitCode);
        Assert.Contains("in use by another process", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rebuild_of_an_unknown_collection_is_exit_code_5()
    {
        await using (await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _data }, embedder: null))
        {
        }

        var result = await KrSbertProcess.RunAsync(null, "rebuild", "--data", _data, "--collection", "nope");

        Assert.Equal(5, result.ExitCode);
    }

    [Fact]
    public async Task Reembed_with_another_pooling_publishes_a_new_generation_under_the_same_name()
    {
        await using (var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _data }, Embedders.MiniLm))
        {
            await engine.CreateCollectionAsync(new CollectionDefinition { Name = "faq" });
            await engine.UpsertAsync("faq", [
                new DocumentInput("pw", "How do I reset my password?", Metadata: new Dictionary<string, string> { ["topic"] = "account" }),
                new DocumentInput("refund", "Refunds are paid within five business days."),
                new DocumentInput("hours", "The office opens at nine.")]);
        }

        var result = await KrSbertProcess.RunAsync(null, "rebuild", "--data", _data, "--reembed", "--pooling", "cls+mean");

        Assert.Equal(0, result.ExitCode);
        await using var reopened = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _data }, Embedders.MiniLm);
        var info = reopened.GetCollection("faq");
        Assert.Equal(["faq"], reopened.ListCollections().Select(c => c.Name));
        Assert.Equal(("cls+mean", 768, 3L), (info.Record.Settings.Pooling, info.Record.Settings.Dimension, info.Record.DocumentCount));
        var hit = (await reopened.SearchAsync("faq", new SearchRequest { Text = "forgot my password", TopK = 1 })).Hits[0];
        Assert.Equal("pw", hit.Id);
        Assert.Equal("account", hit.Metadata!["topic"]);
    }
}
