using KrSbert.Cluster.Querying;
using KrSbert.Cluster.Sharding;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Querying;

namespace KrSbert.Cli.Bench;

/// <summary>
/// Cluster mode's lexical read path without the network: documents split over engines by the shard map, each
/// scoring BM25 with its own statistics (N, average length, document frequencies of its part only), and the
/// shards' top-k merged by score as the router merges them. Set beside one engine holding everything, it measures
/// what per-shard statistics cost in retrieval quality.
/// </summary>
internal sealed class ShardedLexicalIndex : IAsyncDisposable
{
    private const string Collection = "korsts";
    private readonly SearchEngine[] _shards;
    private readonly string _folder;

    private ShardedLexicalIndex(SearchEngine[] shards, string folder) => (_shards, _folder) = (shards, folder);

    /// <summary>Stores <paramref name="documents"/> (ids <c>d</c> + position) over <paramref name="shardCount"/> engines in a temporary folder.</summary>
    public static async Task<ShardedLexicalIndex> BuildAsync(IReadOnlyList<string> documents, int shardCount, CancellationToken cancellationToken)
    {
        var map = new ShardMap(shardCount);
        string folder = Path.Combine(Path.GetTempPath(), "krsbert-lexical-shards-" + Guid.NewGuid().ToString("N"));
        var shards = new SearchEngine[shardCount];
        var index = new ShardedLexicalIndex(shards, folder);
        try
        {
            for (int shard = 0; shard < shardCount; shard++)
            {
                shards[shard] = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = Path.Combine(folder, $"shard-{shard}") }, embedder: null, cancellationToken: cancellationToken).ConfigureAwait(false);
                await shards[shard].CreateCollectionAsync(new CollectionDefinition { Name = Collection, Dimension = 2 }, cancellationToken).ConfigureAwait(false);
            }

            // The same vectors as the single-engine step; only the lexical leg is queried.
            foreach (var group in documents.Select((text, i) => new DocumentInput($"d{i}", text, [1, (i % 7) + 1])).GroupBy(d => map.ShardOf(d.Id!)))
            {
                foreach (DocumentInput[] batch in group.Chunk(500))
                {
                    await shards[group.Key].UpsertAsync(Collection, batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }

            return index;
        }
        catch
        {
            await index.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The positions of the merged top <paramref name="topK"/> for a lexical <paramref name="query"/>.</summary>
    public async Task<int[]> SearchAsync(string query, int topK, CancellationToken cancellationToken)
    {
        var request = new SearchRequest { Text = query, Mode = QueryMode.Lexical, TopK = topK, IncludeText = false, IncludeMetadata = false };
        SearchResult[] answers = await Task.WhenAll(_shards.Select(s => s.SearchAsync(Collection, request, cancellationToken))).ConfigureAwait(false);
        MergedHits merged = TopKMerge.Merge([.. answers.Select((a, shard) => new ShardAnswer(shard, a.Hits))], _shards.Length, topK);
        return [.. merged.Hits.Select(h => int.Parse(h.Id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture))];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (SearchEngine? shard in _shards)
        {
            if (shard is not null)
            {
                await shard.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
