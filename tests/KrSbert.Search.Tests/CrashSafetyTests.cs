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
            // Every survivor is in the index under its own key (an exact scan of the index finds it first, scoring 1).
            // The graph is a separate, statistical matter: after twenty kills and thousands of removals a graph search
            // may miss a node that is there (CI saw 1 in 300 miss, found first by the exact scan), so it must find
            // nearly all, not each one.
            int foundByGraph = 0;
            List<long> checkedIds = [.. live.Take(300)];
            foreach (long id in checkedIds)
            {
                var exact = await engine.SearchAsync(SoakVectors.Collection, new SearchRequest { Vector = SoakVectors.For(id), TopK = 1, Exact = true });
                Assert.Equal(Id(id), exact.Hits[0].Id);
                var graph = await engine.SearchAsync(SoakVectors.Collection, new SearchRequest { Vector = SoakVectors.For(id), TopK = 1 });
                foundByGraph += graph.Hits[0].Id == Id(id) ? 1 : 0;
            }

            output.WriteLine($"graph search found {foundByGraph} of {checkedIds.Count} survivors first");
            Assert.True(foundByGraph >= checkedIds.Count * 0.97, $"the graph search found only {foundByGraph} of {checkedIds.Count} survivors first");
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
