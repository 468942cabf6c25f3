namespace KrSbert.Search.Querying;

/// <summary>
/// A document found: its score (higher is better) and where its best chunk lies in its text. The score is the
/// best chunk's similarity in dense mode, its BM25 score in lexical mode and the fused score in hybrid mode.
/// </summary>
public sealed record SearchHit(string Id, float Score, string? Text, IReadOnlyDictionary<string, string>? Metadata, int ChunkIndex, int ChunkStart, int ChunkEnd)
{
    /// <summary>Each leg's rank and score, when the request asked to explain.</summary>
    public HitExplanation? Explanation { get; init; }
}
