using KrSbert.Embedding.Models;
using KrSbert.Embedding.Pooling;
using KrSbert.Index;
using KrSbert.Search.Chunking;
using KrSbert.Search.Lexical;

namespace KrSbert.Search.Collections;

/// <summary>What a user asks for when creating a collection; anything left null takes the default.</summary>
public sealed record CollectionDefinition
{
    /// <summary>1 to 64 letters, digits, <c>-</c> or <c>_</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Similarity: cosine (default), inner product or L2.</summary>
    public VectorMetric Metric { get; init; } = VectorMetric.Cosine;

    /// <summary>Pooling for text documents and queries; null: the model's.</summary>
    public PoolingMode? Pooling { get; init; }

    /// <summary>L2-normalise vectors; null: the model's setting.</summary>
    public bool? Normalize { get; init; }

    /// <summary>
    /// Vector length for bring-your-own vectors; null: what the model produces with the chosen pooling.
    /// A collection whose dimension differs from the model's accepts vectors only.
    /// </summary>
    public int? Dimension { get; init; }

    /// <summary>HNSW graph degree.</summary>
    public int M { get; init; } = 16;

    /// <summary>HNSW build-time candidate list.</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>HNSW query-time candidate list, unless a query sets its own.</summary>
    public int EfSearch { get; init; } = 64;

    /// <summary>How the index stores vectors (the store always keeps float32).</summary>
    public VectorStorage IndexStorage { get; init; } = VectorStorage.F32;

    /// <summary>Token windows for long documents; null: the model's window with 32 tokens of overlap.</summary>
    public ChunkingOptions? Chunking { get; init; }

    /// <summary>The model graph's precision; null: the server's. A value other than the server's is refused.</summary>
    public ModelPrecision? ModelPrecision { get; init; }
    /// <summary>BM25's k1 and b for the lexical leg: what its queries use unless one sets its own (0.9 and 0.4 by default).</summary>
    public Bm25 Bm25 { get; init; } = Bm25.Default;
}
