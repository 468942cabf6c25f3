using KrSbert.Search.Documents;
using KrSbert.Search.Querying;

namespace KrSbert.Search.Tests;

public class HydrationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Hit_text_and_metadata_equal_the_stored_document_after_upserts_updates_and_deletes()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        var random = new Random(5);
        var stored = new Dictionary<string, DocumentInput>();
        for (int i = 0; i < 200; i++)
        {
            stored[$"d{i}"] = new DocumentInput($"d{i}", $"본문 {i}", TemporaryEngine.RandomVector(random, 8), new Dictionary<string, string> { ["n"] = $"{i}", ["round"] = "first" });
        }

        await temp.Engine.UpsertAsync("vectors", stored.Values.ToList()).WaitAsync(Timeout);
        var updates = Enumerable.Range(0, 200).Where(i => i % 3 == 0)
            .Select(i => new DocumentInput($"d{i}", $"고친 본문 {i}", TemporaryEngine.RandomVector(random, 8), new Dictionary<string, string> { ["round"] = "second" })).ToList();
        await temp.Engine.UpsertAsync("vectors", updates).WaitAsync(Timeout);
        updates.ForEach(u => stored[u.Id!] = u);
        string[] deleted = [.. Enumerable.Range(0, 200).Where(i => i % 5 == 1).Select(i => $"d{i}")];
        await temp.Engine.DeleteAsync("vectors", deleted).WaitAsync(Timeout);
        Array.ForEach(deleted, id => stored.Remove(id));

        for (int round = 0; round < 2; round++)
        {
            int checkedHits = 0;
            foreach (DocumentInput document in stored.Values.Take(40))
            {
                var result = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = document.Vector, TopK = 10 }).WaitAsync(Timeout);

                Assert.Equal(document.Id, result.Hits[0].Id);
                foreach (SearchHit hit in result.Hits)
                {
                    Assert.Equal(stored[hit.Id].Text, hit.Text);
                    Assert.Equal(stored[hit.Id].Metadata!.OrderBy(m => m.Key), hit.Metadata!.OrderBy(m => m.Key));
                    checkedHits++;
                }
            }

            Assert.Equal(400, checkedHits);
            await temp.RestartAsync().WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task Hits_carry_no_text_or_metadata_when_the_request_leaves_them_out()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        var random = new Random(6);
        await temp.Engine.UpsertAsync("vectors", Enumerable.Range(0, 50).Select(i => TemporaryEngine.VectorDocument($"d{i}", TemporaryEngine.RandomVector(random, 8))).ToList()).WaitAsync(Timeout);
        var request = new SearchRequest { Vector = TemporaryEngine.RandomVector(random, 8), TopK = 10 };

        var full = await temp.Engine.SearchAsync("vectors", request).WaitAsync(Timeout);
        var bare = await temp.Engine.SearchAsync("vectors", request with { IncludeText = false, IncludeMetadata = false }).WaitAsync(Timeout);
        var textOnly = await temp.Engine.SearchAsync("vectors", request with { IncludeMetadata = false }).WaitAsync(Timeout);

        Assert.Equal(full.Hits.Select(h => (h.Id, h.Score)), bare.Hits.Select(h => (h.Id, h.Score)));
        Assert.All(full.Hits, h => Assert.Equal($"text {h.Id}", h.Text));
        Assert.All(bare.Hits, h => Assert.Null(h.Text));
        Assert.All(bare.Hits, h => Assert.Null(h.Metadata));
        Assert.All(textOnly.Hits, h => Assert.Equal(($"text {h.Id}", (IReadOnlyDictionary<string, string>?)null), (h.Text, h.Metadata)));
    }
}
