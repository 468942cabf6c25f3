using System.Numerics.Tensors;

namespace KrSbert.Index;

/// <summary>
/// What must hold before a vector reaches native code: the native library reads exactly as many floats as
/// the index has dimensions (a shorter span is read out of bounds) and accepts NaN, which then poisons
/// every distance computed against it.
/// </summary>
internal static class VectorChecks
{
    /// <exception cref="ArgumentException">Wrong length, a non-finite value, or (for cosine) a zero norm.</exception>
    public static void Check(ReadOnlySpan<float> vector, int dimensions, VectorMetric metric, string parameterName)
    {
        if (vector.Length != dimensions)
        {
            throw new ArgumentException($"Expected a vector of {dimensions} dimensions, got {vector.Length}.", parameterName);
        }

        CheckValues(vector, metric, parameterName, index: null);
    }

    /// <summary>Checks row <paramref name="row"/> of a batch; the message names the row.</summary>
    public static void CheckRow(ReadOnlySpan<float> vector, VectorMetric metric, string parameterName, int row) =>
        CheckValues(vector, metric, parameterName, row);

    private static void CheckValues(ReadOnlySpan<float> vector, VectorMetric metric, string parameterName, int? index)
    {
        string which = index is { } row ? $"Vector {row}" : "The vector";
        if (!TensorPrimitives.IsFiniteAll(vector))
        {
            int bad = IndexOfNonFinite(vector);
            throw new ArgumentException($"{which} has a non-finite value ({vector[bad]}) at dimension {bad}.", parameterName);
        }

        // Finite components can still overflow the squared norm, and with it every distance.
        float norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm))
        {
            throw new ArgumentException($"{which} is too large: its norm overflows a float.", parameterName);
        }

        if (metric == VectorMetric.Cosine && norm == 0f)
        {
            throw new ArgumentException($"{which} is all zeros; cosine similarity is undefined for it.", parameterName);
        }
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
