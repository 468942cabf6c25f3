using KrSbert.Search.Querying;

namespace KrSbert.Cluster.Querying;

/// <summary>The collection-wide top-k merged from the shards that answered, and how many of them did.</summary>
public sealed record MergedHits(IReadOnlyList<SearchHit> Hits, Coverage Coverage);
