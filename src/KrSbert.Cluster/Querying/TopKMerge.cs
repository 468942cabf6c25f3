using KrSbert.Search.Querying;

namespace KrSbert.Cluster.Querying;

/// <summary>
/// Merges per-shard top-k lists into the collection's top-k by score (higher first), then document id (ordinal):
/// the order a single node gives, so an exact query over shards equals the same query on one node.
/// </summary>
public static class TopKMerge
{
    /// <summary>Orders hits as results are listed: higher score first, then smaller document id (ordinal).</summary>
    public static int Compare(SearchHit a, SearchHit b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int byScore = b.Score.CompareTo(a.Score);
        return byScore != 0 ? byScore : string.CompareOrdinal(a.Id, b.Id);
    }

    /// <summary>
    /// The top <paramref name="topK"/> of the answers' hits, with the coverage of <paramref name="shardsAsked"/>.
    /// A shard missing from <paramref name="answers"/> did not answer.
    /// </summary>
    /// <exception cref="ArgumentException">top_k below 1, a shard outside 0 to shardsAsked − 1, a shard that answered twice, or one document in two answers.</exception>
    public static MergedHits Merge(IReadOnlyList<ShardAnswer> answers, int shardsAsked, int topK)
    {
        ArgumentNullException.ThrowIfNull(answers);
        if (topK < 1)
        {
            throw new ArgumentException($"top_k is {topK}; it must be at least 1.", nameof(topK));
        }

        var shards = new HashSet<int>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var hits = new List<SearchHit>();
        foreach (ShardAnswer answer in answers)
        {
            if (answer.Shard < 0 || answer.Shard >= shardsAsked)
            {
                throw new ArgumentException($"shard {answer.Shard} answered; the shards asked are 0 to {shardsAsked - 1}.", nameof(answers));
            }

            if (!shards.Add(answer.Shard))
            {
                throw new ArgumentException($"shard {answer.Shard} answered twice.", nameof(answers));
            }

            foreach (SearchHit hit in answer.Hits)
            {
                // The shard map puts each document on one shard; the same id twice means two versions were mixed.
                if (!ids.Add(hit.Id))
                {
                    throw new ArgumentException($"document '{hit.Id}' came from two shards (shard {answer.Shard} is one).", nameof(answers));
                }

                hits.Add(hit);
            }
        }

        hits.Sort(Compare);
        if (hits.Count > topK)
        {
            hits.RemoveRange(topK, hits.Count - topK);
        }

        return new MergedHits(hits, new Coverage(shards.Count, shardsAsked));
    }
}
