using KrSbert.Search.Querying;

namespace KrSbert.Cluster.Querying;

/// <summary>One shard's answer to a query: its own top-k, best first.</summary>
/// <param name="Shard">The shard that answered.</param>
/// <param name="Hits">The shard's hits, ordered by score, then document id.</param>
public sealed record ShardAnswer(int Shard, IReadOnlyList<SearchHit> Hits);
