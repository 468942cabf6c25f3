using KrSbert.Cli.Commands.Soak;
using KrSbert.Search.Querying;
using Xunit.Abstractions;

namespace KrSbert.Search.Tests;

[Trait("Category", "Slow")]
public class CrashSafetyTests(ITestOutputHelper output)
{
    private const int Rounds = 20;

    [Fact]
    public async Task Every_acknowledged_change_survives_sigkill_at_random_moments()
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-crash-" + Guid.NewGuid().ToString("N"));
        var soak = new SoakRound();
        var random = new Random(20261127);
        long nextId = 1;
        try
        {
            for (int round = 0; round < Rounds; round++)
            {
                (long maxId, int acks) = await soak.RunAsync(Path.Combine(AppContext.BaseDirectory, "krsbert.dll"), data, nextId, round, TimeSpan.FromMilliseconds(random.Next(300, 1500)));
                output.WriteLine($"round {round}: {acks} acknowledgements before the kill");
                nextId = maxId + 1000;
            }

            await using var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data }, embedder: null);
            var info = engine.GetCollection(SoakVectors.Collection);

            // A delete cut off by the kill may or may not have committed: its document is left out of the checks.
            var live = soak.Acknowledged.Except(soak.Deleted).Except(soak.Deleting).ToList();
            var stored = engine.GetDocuments(SoakVectors.Collection, live.Select(Id).ToList(), withVectors: true);

            Assert.True(soak.Acknowledged.Count > 200, $"only {soak.Acknowledged.Count} documents were acknowledged");
            Assert.Equal(live.Count, stored.Count);
            Assert.Empty(engine.GetDocuments(SoakVectors.Collection, soak.Deleted.Select(Id).ToList()));
            Assert.All(stored, d => Assert.Equal(SoakVectors.For(long.Parse(d.Id, System.Globalization.CultureInfo.InvariantCulture)), d.Chunks[0].Vector));
            Assert.Equal(info.Record.ChunkCount, info.IndexedVectors);
            foreach (long id in live.Take(300))
            {
                var hits = await engine.SearchAsync(SoakVectors.Collection, new SearchRequest { Vector = SoakVectors.For(id), TopK = 1 });
                Assert.Equal(Id(id), hits.Hits[0].Id);
            }
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
