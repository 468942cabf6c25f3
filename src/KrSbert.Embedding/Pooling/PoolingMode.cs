namespace KrSbert.Embedding.Pooling;

/// <summary>
/// How token vectors become one sentence vector. Several modes concatenate, in sentence-transformers'
/// order: CLS, max, mean, mean-sqrt-len.
/// </summary>
[Flags]
public enum PoolingMode
{
    /// <summary>No mode: only valid as "use the model's default".</summary>
    None = 0,

    /// <summary>The <c>[CLS]</c> token's vector.</summary>
    Cls = 1,

    /// <summary>Element-wise maximum over the text's tokens.</summary>
    Max = 2,

    /// <summary>Mean over the text's tokens (KR-SBERT's and MiniLM's mode).</summary>
    Mean = 4,

    /// <summary>Sum over the text's tokens divided by the square root of their count.</summary>
    MeanSqrtLen = 8,
}
