using KrSbert.Search.Filtering;
using KrSbert.Search.Lexical;

namespace KrSbert.Search.Querying;

/// <summary>A query by text or by vector: dense (nearest neighbours), lexical (BM25) or hybrid (both, fused).</summary>
public sealed record SearchRequest
{
    /// <summary>Dense (the default), lexical or hybrid.</summary>
    public QueryMode Mode { get; init; } = QueryMode.Dense;

    /// <summary>Documents each leg of a hybrid query contributes; null: max(4 × top_k, 100), capped at the index's expansion limit.</summary>
    public int? Candidates { get; init; }

    /// <summary>How a hybrid query fuses its legs.</summary>
    public Fusion Fusion { get; init; } = new();

    /// <summary>
    /// BM25's k1 for this query's lexical leg; null: the collection's (set when it was created). The index keeps raw
    /// term frequencies and chunk lengths, so a query can override k1 and b without a rebuild.
    /// </summary>
    public double? Bm25K1 { get; init; }

    /// <summary>BM25's b for this query's lexical leg; null: the collection's.</summary>
    public double? Bm25B { get; init; }

    /// <summary>The k1 and b this query scores with, given its collection's.</summary>
    internal Bm25 Bm25Within(Bm25 collection) => collection.With(Bm25K1, Bm25B);

    /// <summary>Return each hit's rank and score in each leg.</summary>
    public bool Explain { get; init; }

    /// <summary>
    /// Text to embed as the query (dense), to analyse (lexical), or both (hybrid). A hybrid query on a collection
    /// of one's own vectors gives the text for the lexical leg and <see cref="Vector"/> for the dense leg.
    /// </summary>
    public string? Text { get; init; }

    /// <summary>A query vector of one's own.</summary>
    public float[]? Vector { get; init; }

    /// <summary>How many documents to return.</summary>
    public int TopK { get; init; } = 10;

    /// <summary>Leave out hits scoring below this.</summary>
    public float? ScoreThreshold { get; init; }

    /// <summary>Metadata conditions hits must meet.</summary>
    public MetadataFilter Filter { get; init; } = MetadataFilter.None;

    /// <summary>HNSW candidate list for this query; null: the collection's.</summary>
    public int? EfSearch { get; init; }

    /// <summary>Scan every vector instead of the HNSW graph (exact, slower).</summary>
    public bool Exact { get; init; }

    /// <summary>Return each hit's text.</summary>
    public bool IncludeText { get; init; } = true;

    /// <summary>Return each hit's metadata.</summary>
    public bool IncludeMetadata { get; init; } = true;
}
