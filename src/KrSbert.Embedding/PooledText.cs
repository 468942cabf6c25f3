namespace KrSbert.Embedding;

/// <summary>
/// Every pooling of one text from one forward pass: the raw (not normalised) CLS, max, mean and
/// mean-sqrt-len vectors, BERT's <c>pooler_output</c> when the graph has it, and the input ids they came from.
/// </summary>
public sealed class PooledText
{
    internal PooledText(float[] vectors, float[]? pooler, int[] inputIds, bool truncated, int hiddenSize)
    {
        Vectors = vectors;
        if (pooler is not null)
        {
            // Assigned only when present: a null array would convert to an empty memory, not to "none".
            Pooler = pooler;
        }
        InputIds = inputIds;
        Truncated = truncated;
        HiddenSize = hiddenSize;
    }

    /// <summary>CLS, max, mean and mean-sqrt-len, one block of <see cref="HiddenSize"/> each, in that order.</summary>
    public ReadOnlyMemory<float> Vectors { get; }

    /// <summary>tanh(dense(CLS)) from the graph's <c>pooler_output</c>; null when the graph does not have it.</summary>
    public ReadOnlyMemory<float>? Pooler { get; }

    /// <summary>The model input ids, <c>[CLS]</c> and <c>[SEP]</c> included.</summary>
    public IReadOnlyList<int> InputIds { get; }

    /// <summary>Whether the text was cut at max_seq_length.</summary>
    public bool Truncated { get; }

    /// <summary>The width of one pooling.</summary>
    public int HiddenSize { get; }

    /// <summary>The vector of one single pooling mode (<see cref="Pooling.PoolingMode.Cls"/>, Max, Mean or MeanSqrtLen).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The mode is not exactly one of the four.</exception>
    public ReadOnlySpan<float> Of(Pooling.PoolingMode mode)
    {
        int block = mode switch
        {
            Pooling.PoolingMode.Cls => 0,
            Pooling.PoolingMode.Max => 1,
            Pooling.PoolingMode.Mean => 2,
            Pooling.PoolingMode.MeanSqrtLen => 3,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "one single pooling mode is expected"),
        };
        return Vectors.Span.Slice(block * HiddenSize, HiddenSize);
    }
}
