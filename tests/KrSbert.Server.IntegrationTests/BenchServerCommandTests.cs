using KrSbert.Cli.Tests;
using KrSbert.Protos.V1;

namespace KrSbert.Server.IntegrationTests;

public class BenchServerCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Bench_server_measures_a_running_server_from_its_own_process_with_default_queries_and_removes_what_it_stored()
    {
        await using var server = await TestServer.StartAsync().WaitAsync(Timeout);
        var collections = new Collections.CollectionsClient(server.Channel);
        await collections.CreateAsync(new CreateCollectionRequest { Name = "own", Dimension = 4 }).ResponseAsync.WaitAsync(Timeout);
        string input = Path.Combine(Path.GetTempPath(), "krsbert-bench-input-" + Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 30).Select(i => $"Sentence number {i} about the library and its opening hours.")).WaitAsync(Timeout);
        try
        {
            var result = await KrSbertProcess.RunAsync(null, "bench", "server", "--server", $"http://127.0.0.1:{server.Port}", "--input", input,
                "--documents", "300", "--clients", "1,2", "--seconds", "1", "--ingest-texts", "30", "--query", "vector").WaitAsync(Timeout);

            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Contains("(30 of 30 stored)", result.Output, StringComparison.Ordinal);
            Assert.Contains("stored 300 documents", result.Output, StringComparison.Ordinal);
            Assert.Contains("include unset (text and metadata)", result.Output, StringComparison.Ordinal);
            string[] rows = [.. result.Output.Split('\n').Where(l => l.TrimStart().StartsWith("1 ", StringComparison.Ordinal) || l.TrimStart().StartsWith("2 ", StringComparison.Ordinal))];
            Assert.Equal(2, rows.Length);
            var left = await collections.ListAsync(new ListCollectionsRequest()).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(["own"], left.Collections.Select(c => c.Name));
        }
        finally
        {
            File.Delete(input);
        }
    }

    [Theory]
    [InlineData("--include", "everything", "--include 'everything'")]
    [InlineData("--query", "image", "--query 'image'")]
    [InlineData("--clients", "1,zero", "--clients '1,zero'")]
    [InlineData("--model", "/nowhere", "--model sets the in-process server's model")]
    public async Task Bench_server_refuses_bad_options_before_it_connects(string option, string value, string message)
    {
        var result = await KrSbertProcess.RunAsync(null, "bench", "server", "--server", "http://127.0.0.1:1", "--input", "/nonexistent.txt", option, value).WaitAsync(Timeout);

        Assert.Equal(2, result.ExitCode); // bad input
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }
}
