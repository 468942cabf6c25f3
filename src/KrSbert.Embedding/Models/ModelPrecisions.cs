namespace KrSbert.Embedding.Models;

/// <summary>The names of <see cref="ModelPrecision"/> in settings, flags and stored records: <c>fp32</c>, <c>int8</c>.</summary>
public static class ModelPrecisions
{
    /// <summary>The file a model folder holds for a precision.</summary>
    public static string FileName(ModelPrecision precision) => precision == ModelPrecision.Int8 ? "model.int8.onnx" : "model.onnx";

    /// <summary><c>fp32</c> or <c>int8</c>.</summary>
    public static string Format(ModelPrecision precision) => precision == ModelPrecision.Int8 ? "int8" : "fp32";

    /// <summary>Parses <c>fp32</c> or <c>int8</c> (any case); false for anything else.</summary>
    public static bool TryParse(string? text, out ModelPrecision precision)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "fp32":
                precision = ModelPrecision.Fp32;
                return true;
            case "int8":
                precision = ModelPrecision.Int8;
                return true;
            default:
                precision = ModelPrecision.Fp32;
                return false;
        }
    }
}
