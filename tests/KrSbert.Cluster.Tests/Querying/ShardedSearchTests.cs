using KrSbert.Cluster.Querying;
using KrSbert.Cluster.Sharding;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Querying;

namespace KrSbert.Cluster.Tests.Querying;

/// <summary>Real engines: one holding everything, and one per shard of the shard map, merged by the top-k merge.</summary>
public sealed class ShardedSearchTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "krsbert-sharded-" + Guid.NewGuid().ToString("N"));
    private readonly List<SearchEngine> _engines = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (SearchEngine engine in _engines)
        {
            await engine.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Dense_exact_top_k_merged_over_shards_equals_the_single_node_top_k_ties_included()
    {
        var map = new ShardMap(3);
        var random = new Random(17);
        float[] tied = RandomVector(random);
        // Ten documents share one vector, so their scores tie and ids alone order them, across shards.
        List<DocumentInput> documents = [
            .. Enumerable.Range(0, 300).Select(i => new DocumentInput($"doc-{i}", $"text {i}", RandomVector(random))),
            .. Enumerable.Range(0, 10).Select(i => new DocumentInput($"tie-{9 - i}", "tied", tied)),
        ];
        SearchEngine single = await OpenAsync("single").WaitAsync(Timeout);
        await single.UpsertAsync("docs", documents).WaitAsync(Timeout);
        var shards = new SearchEngine[map.ShardCount];
        for (int shard = 0; shard < map.ShardCount; shard++)
        {
            shards[shard] = await OpenAsync($"shard-{shard}").WaitAsync(Timeout);
        }

        foreach ((int shard, List<DocumentInput> group) in map.Group(documents, d => d.Id!))
        {
            await shards[shard].UpsertAsync("docs", group).WaitAsync(Timeout);
        }

        Assert.True(documents.Where(d => d.Id!.StartsWith("tie-", StringComparison.Ordinal)).Select(d => map.ShardOf(d.Id!)).Distinct().Count() > 1);
        foreach (float[] query in new[] { tied }.Concat(Enumerable.Range(0, 10).Select(_ => RandomVector(random))))
        {
            foreach (int topK in new[] { 1, 5, 12, 40 })
            {
                var request = new SearchRequest { Vector = query, TopK = topK, Exact = true };
                SearchResult expected = await single.SearchAsync("docs", request).WaitAsync(Timeout);
                var answers = new List<ShardAnswer>();
                for (int shard = 0; shard < shards.Length; shard++)
                {
                    answers.Add(new ShardAnswer(shard, (await shards[shard].SearchAsync("docs", request).WaitAsync(Timeout)).Hits));
                }

                MergedHits merged = TopKMerge.Merge(answers, map.ShardCount, topK);

                Assert.Equal(expected.Hits.Select(h => (h.Id, h.Score)), merged.Hits.Select(h => (h.Id, h.Score)));
            }
        }
    }

    private async Task<SearchEngine> OpenAsync(string name)
    {
        SearchEngine engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = Path.Combine(_directory, name) }, embedder: null);
        _engines.Add(engine);
        await engine.CreateCollectionAsync(new CollectionDefinition { Name = "docs", Dimension = 8 });
        return engine;
    }

    private static float[] RandomVector(Random random) => [.. Enumerable.Range(0, 8).Select(_ => (float)((random.NextDouble() * 2) - 1))];
}
