namespace KrSbert.Search.Querying;

/// <summary>Hits, best first, with where the time went.</summary>
public sealed record SearchResult(IReadOnlyList<SearchHit> Hits, TimeSpan EmbeddingTime, TimeSpan SearchTime, TimeSpan TotalTime);
