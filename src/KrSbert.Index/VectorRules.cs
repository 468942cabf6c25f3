using System.Numerics.Tensors;

namespace KrSbert.Index;

/// <summary>
/// The one rule for what a vector must be to enter an index of a given shape: the right length, finite
/// values, a norm that does not overflow, and (for cosine) not all zeros. Callers that write a vector
/// anywhere check it here first, so the index never refuses a vector that was stored.
/// </summary>
public static class VectorRules
{
    /// <summary>Why <paramref name="vector"/> cannot enter an index of <paramref name="dimensions"/> and <paramref name="metric"/>, or null when it can.</summary>
    public static string? Violation(ReadOnlySpan<float> vector, int dimensions, VectorMetric metric)
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

        return metric == VectorMetric.Cosine && norm == 0f
            ? "is all zeros; cosine similarity is undefined for it"
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
