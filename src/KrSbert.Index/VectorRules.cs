using System.Numerics.Tensors;

namespace KrSbert.Index;

/// <summary>
/// The one rule for what a vector must be to enter an index of a given shape: the right length, finite
/// values, a norm that does not overflow, and (for cosine) not all zeros. Callers that write a vector
/// anywhere check it here first, so the index never refuses a vector that was stored.
/// </summary>
public static class VectorRules
{
    /// <summary>The largest magnitude an IEEE half float holds; larger values become infinite in f16 storage.</summary>
    public const float MaxHalf = 65504f;

    /// <summary>
    /// Why <paramref name="vector"/> cannot enter an index of <paramref name="dimensions"/>, <paramref name="metric"/>
    /// and <paramref name="storage"/>, or null when it can.
    /// </summary>
    public static string? Violation(ReadOnlySpan<float> vector, int dimensions, VectorMetric metric, VectorStorage storage = VectorStorage.F32)
    {
        if (vector.Length != dimensions)
        {
            return $"has {vector.Length} dimensions; it needs {dimensions} dimensions";
        }

        if (!TensorPrimitives.IsFiniteAll(vector))
        {
            int bad = IndexOfNonFinite(vector);
            return $"element {bad} is {vector[bad]}; values must be finite";
        }

        // Finite components can still overflow the squared norm, and with it every distance.
        float norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm))
        {
            return "is too large: its norm overflows a float";
        }

        if (metric == VectorMetric.Cosine && norm == 0f)
        {
            return "is all zeros; cosine similarity is undefined for it";
        }

        return storage == VectorStorage.F16 ? HalfViolation(vector, metric) : null;
    }

    /// <summary>Values f16 storage cannot hold: beyond ±65504 (infinite), or, under cosine, all too small to be non-zero.</summary>
    private static string? HalfViolation(ReadOnlySpan<float> vector, VectorMetric metric)
    {
        float largest = TensorPrimitives.MaxMagnitude(vector);
        if (Math.Abs(largest) > MaxHalf)
        {
            return $"has a value ({largest}) beyond ±{MaxHalf}, the range of the collection's f16 index storage";
        }

        return metric == VectorMetric.Cosine && (Half)Math.Abs(largest) == Half.Zero
            ? "rounds to all zeros in the collection's f16 index storage; cosine similarity is undefined for it"
            : null;
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> vector)
    {
        for (int i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
