using KrSbert.Embedding.Pooling;

namespace KrSbert.Embedding;

/// <summary>Per-call overrides of the model's defaults; null keeps the default.</summary>
public sealed record EmbeddingRequest
{
    /// <summary>The model's own settings.</summary>
    public static EmbeddingRequest Default { get; } = new();

    /// <summary>Pooling modes (concatenated in sentence-transformers' order); null or None: the model's.</summary>
    public PoolingMode? Pooling { get; init; }

    /// <summary>L2-normalise the pooled vector; null: whatever the model folder declares.</summary>
    public bool? Normalize { get; init; }

    /// <summary>Truncate to this many tokens (at most the model's max_seq_length); null: the model's.</summary>
    public int? MaxSequenceLength { get; init; }
}
