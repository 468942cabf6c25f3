using KrSbert.Search;

namespace KrSbert.Cli.Tests;

/// <summary>The soak worker (a helper the crash-safety test starts and kills) never outlives its parent.</summary>
public sealed class SoakWorkerTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "krsbert-soak-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task The_soak_worker_stops_cleanly_when_its_standard_input_closes()
    {
        // Empty input closes the worker's standard input at once, as the death of its parent does.
        var result = await KrSbertProcess.RunProgramAsync("krsbert.dll", "", TimeSpan.FromSeconds(60), "bench", "soak-worker", _data, "1", "7");

        // The store was closed, not abandoned: it opens again at once.
        await using var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _data }, embedder: null).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
    }
}
