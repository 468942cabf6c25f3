namespace KrSbert.Storage.Collections;

/// <summary>
/// What a collection is built with, as the store keeps it. The store treats these as opaque values; the
/// application layer gives them meaning (metric names, pooling names, index storage types).
/// </summary>
public sealed record CollectionSettings
{
    /// <summary>The embedding model's name (folder or hub id).</summary>
    public required string ModelName { get; init; }

    /// <summary>Vector length.</summary>
    public required int Dimension { get; init; }

    /// <summary>Pooling modes, e.g. <c>mean</c> or <c>cls+mean</c>.</summary>
    public required string Pooling { get; init; }

    /// <summary>Whether vectors are L2-normalised.</summary>
    public required bool Normalize { get; init; }

    /// <summary>Distance: <c>cosine</c>, <c>inner_product</c> or <c>l2</c>.</summary>
    public required string Metric { get; init; }

    /// <summary>HNSW graph degree.</summary>
    public required int M { get; init; }

    /// <summary>HNSW candidate list size while building.</summary>
    public required int EfConstruction { get; init; }

    /// <summary>HNSW candidate list size while searching, unless a query says otherwise.</summary>
    public required int EfSearch { get; init; }

    /// <summary>Index vector storage: <c>f32</c>, <c>f16</c> or <c>i8</c>.</summary>
    public required string IndexStorage { get; init; }

    /// <summary>Tokens per chunk of a long document (the model's window by default).</summary>
    public required int ChunkTokens { get; init; }

    /// <summary>Tokens shared by consecutive chunks.</summary>
    public required int ChunkOverlap { get; init; }

    /// <summary>The model graph the vectors came from: <c>fp32</c> or <c>int8</c>; records written before it existed read as <c>fp32</c>.</summary>
    public string ModelPrecision { get; init; } = "fp32";
    /// <summary>BM25's term-frequency saturation for the lexical leg; a record stored before it existed reads as 0.9.</summary>
    public double Bm25K1 { get; init; } = DefaultBm25K1;

    /// <summary>BM25's length normalisation for the lexical leg; a record stored before it existed reads as 0.4.</summary>
    public double Bm25B { get; init; } = DefaultBm25B;

    /// <summary>k1 when a collection sets none: the value issue 9's Korean paraphrase-retrieval measurements used.</summary>
    public const double DefaultBm25K1 = 0.9;

    /// <summary>b when a collection sets none.</summary>
    public const double DefaultBm25B = 0.4;
}
