namespace KrSbert.Search.Querying;

/// <summary>A document found: its score (its best chunk's, higher is better) and where that chunk lies in its text.</summary>
public sealed record SearchHit(string Id, float Score, string? Text, IReadOnlyDictionary<string, string>? Metadata, int ChunkIndex, int ChunkStart, int ChunkEnd);
