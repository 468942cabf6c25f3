namespace KrSbert.Embedding.Models;

/// <summary>Where an ONNX graph comes from: a file, or bytes (the embedded default model).</summary>
public abstract record OnnxModelSource
{
    /// <summary>A <c>model.onnx</c> on disk.</summary>
    public sealed record File(string Path) : OnnxModelSource
    {
        /// <inheritdoc />
        public override string ToString() => Path;
    }

    /// <summary>An ONNX graph held in memory, loaded on demand.</summary>
    public sealed record Embedded(string Name, Func<byte[]> Load) : OnnxModelSource
    {
        /// <inheritdoc />
        public override string ToString() => Name;
    }
}
