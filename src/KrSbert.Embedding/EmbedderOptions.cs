using KrSbert.Embedding.Inference;
using KrSbert.Embedding.Models;

namespace KrSbert.Embedding;

/// <summary>Limits and batching of a <see cref="SentenceEmbedder"/>.</summary>
public sealed record EmbedderOptions
{
    /// <summary>Texts per ONNX Runtime call; texts are sorted by length so each batch pads little.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Longest text accepted, in UTF-16 characters; longer input is refused, not silently cut.</summary>
    public int MaxTextLength { get; init; } = 100_000;

    /// <summary>
    /// Which graph runs: <c>model.onnx</c> (fp32, the default) or <c>model.int8.onnx</c> (int8). Loading fails when the
    /// folder lacks the file the precision names.
    /// </summary>
    public ModelPrecision Precision { get; init; } = ModelPrecision.Fp32;

    /// <summary>How ONNX Runtime runs.</summary>
    public OnnxRuntimeOptions OnnxRuntime { get; init; } = new();

    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (BatchSize is < 1 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be between 1 and 4096.");
        }

        if (MaxTextLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTextLength), MaxTextLength, "MaxTextLength must be at least 1.");
        }

        if (OnnxRuntime.IntraOpThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(OnnxRuntime), OnnxRuntime.IntraOpThreads, "IntraOpThreads must be 0 (one per core) or more.");
        }
    }
}
