using KrSbert.Search.Filtering;

namespace KrSbert.Search.Querying;

/// <summary>A nearest-neighbour query by text or by vector.</summary>
public sealed record SearchRequest
{
    /// <summary>Text to embed as the query.</summary>
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
