namespace KrSbert.Embedding.Inference;

/// <summary>How ONNX Runtime runs the model on the CPU.</summary>
public sealed record OnnxRuntimeOptions
{
    /// <summary>Threads one inference uses; 0 means one per core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Whether idle intra-op threads spin (lower latency) or sleep (less CPU when idle).</summary>
    public bool AllowSpinning { get; init; } = true;

    /// <summary>A file to write the optimised graph to, to see what ONNX Runtime fused; null writes nothing.</summary>
    public string? OptimizedModelPath { get; init; }

    /// <summary>
    /// A writable folder for optimised graphs, keyed by the model's SHA-256, the ONNX Runtime version and the CPU's
    /// instruction-set features, so a second start skips the optimiser; null optimises at every start.
    /// </summary>
    public string? GraphCacheDirectory { get; init; }
}
