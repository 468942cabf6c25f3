namespace KrSbert.Index;

/// <summary>
/// Guards native code with <see cref="VectorRules"/>: the native library reads exactly as many floats as the
/// index has dimensions (a shorter span is read out of bounds) and accepts NaN, which then poisons every
/// distance computed against it.
/// </summary>
internal static class VectorChecks
{
    /// <exception cref="ArgumentException">Wrong length, a non-finite value, an overflowing norm or (for cosine) a zero norm.</exception>
    public static void Check(ReadOnlySpan<float> vector, int dimensions, VectorMetric metric, string parameterName, VectorStorage storage = VectorStorage.F32)
    {
        if (VectorRules.Violation(vector, dimensions, metric, storage) is { } violation)
        {
            throw new ArgumentException($"The vector {violation}.", parameterName);
        }
    }

    /// <summary>Checks row <paramref name="row"/> of a batch; the message names the row.</summary>
    public static void CheckRow(ReadOnlySpan<float> vector, VectorMetric metric, string parameterName, int row, VectorStorage storage = VectorStorage.F32)
    {
        if (VectorRules.Violation(vector, vector.Length, metric, storage) is { } violation)
        {
            throw new ArgumentException($"Vector {row} {violation}.", parameterName);
        }
    }
}
