namespace KrSbert.Embedding.Models;

/// <summary>
/// Which graph of a model folder runs: <c>model.onnx</c> (float32) or <c>model.int8.onnx</c> (dynamically
/// quantised int8 weights). The two give different vectors, so a collection records the one it was built with.
/// Named apart from the index's vector storage (<c>f32</c>, <c>f16</c>, <c>i8</c>), which is another setting.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "int8 is the precision's name in every setting and file name (model.int8.onnx).")]
public enum ModelPrecision
{
    /// <summary><c>model.onnx</c>, float32 weights and activations.</summary>
    Fp32,

    /// <summary>
    /// <c>model.int8.onnx</c>: int8 weights, activations quantised per batch at run time, so a text's vector
    /// depends slightly on the other texts of its batch.
    /// </summary>
    Int8,
}
