using System.Globalization;
using KrSbert.Index;
using KrSbert.Search.Documents;
using KrSbert.Search.Filtering;
using KrSbert.Search.Querying;

namespace KrSbert.Search.Tests;

/// <summary>Filtered search through the engine: exact where the README promises it, and never short.</summary>
public class FilteredSearchTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_third_of_2514_documents_of_32_dimensions_matching_gives_the_brute_force_top_10_for_90_queries()
    {
        // The reported case: 1 query in 90 differed from brute force while the graph was searched and post-filtered.
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync(dimension: 32).WaitAsync(Timeout);
        var random = new Random(8);
        var documents = Enumerable.Range(0, 2514).Select(i => Document(i, TemporaryEngine.RandomVector(random, 32), i % 11 < 4 ? "x" : "y")).ToList();
        foreach (var batch in documents.Chunk(600))
        {
            await temp.Engine.UpsertAsync("vectors", batch).WaitAsync(Timeout);
        }

        // 4 in 11 match: enough that the former rule (pass rate² x N >= 32k) chose the graph.
        var matching = documents.Where(d => d.Metadata!["bucket"] == "x").ToList();
        Assert.Equal(916, matching.Count);
        for (int q = 0; q < 90; q++)
        {
            float[] query = TemporaryEngine.RandomVector(random, 32);
            var expected = matching
                .Select(d => (d.Id, Score: ExactSearch.Score(query, d.Vector!)))
                .OrderByDescending(h => h.Score)
                .Take(10)
                .ToList();

            var result = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = query, TopK = 10, Filter = MetadataFilter.Equal("bucket", "x") }).WaitAsync(Timeout);

            Assert.Equal(expected.Select(h => h.Id), result.Hits.Select(h => h.Id));
            Assert.All(result.Hits.Zip(expected), p => Assert.Equal(p.Second.Score, p.First.Score, 4));
        }
    }

    [Fact]
    public async Task Filtered_search_returns_k_documents_whenever_k_match_at_any_pass_rate_after_deletes()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync(dimension: 16).WaitAsync(Timeout);
        var random = new Random(9);
        var documents = Enumerable.Range(0, 3000).Select(i => Document(i, TemporaryEngine.RandomVector(random, 16), (i % 100).ToString(CultureInfo.InvariantCulture))).ToList();
        foreach (var batch in documents.Chunk(750))
        {
            await temp.Engine.UpsertAsync("vectors", batch).WaitAsync(Timeout);
        }

        // Deleted documents stay in the graph as removed entries until a rebuild, which starts above 20%:
        // delete 1 in 6 (5 of each bucket's 30) so that they stay.
        var deleted = documents.Where((_, i) => i / 100 % 6 == 0).Select(d => d.Id!).ToHashSet();
        foreach (var batch in deleted.Chunk(500))
        {
            await temp.Engine.DeleteAsync("vectors", batch).WaitAsync(Timeout);
        }

        var remaining = documents.Where(d => !deleted.Contains(d.Id!)).ToList();
        Assert.Equal(500, temp.Engine.GetCollection("vectors").IndexRemovedEntries);
        foreach (int buckets in new[] { 100, 50, 10, 1 })
        {
            var values = Enumerable.Range(0, buckets).Select(b => b.ToString(CultureInfo.InvariantCulture)).ToList();
            var filter = new MetadataFilter([new MetadataCondition("bucket", values)]);
            int matching = remaining.Count(d => filter.Matches(d.Metadata!));
            Assert.Equal(25 * buckets, matching);
            foreach (int topK in new[] { 10, matching, matching + 5 })
            {
                var result = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = TemporaryEngine.RandomVector(random, 16), TopK = Math.Min(topK, 1000), Filter = filter }).WaitAsync(Timeout);

                Assert.Equal(Math.Min(Math.Min(topK, 1000), matching), result.Hits.Count);
                Assert.All(result.Hits, h => Assert.True(filter.Matches(h.Metadata!) && !deleted.Contains(h.Id)));
            }
        }
    }

    private static DocumentInput Document(int i, float[] vector, string bucket) =>
        new($"d{i}", $"text {i}", vector, new Dictionary<string, string> { ["bucket"] = bucket });
}
