using System.Numerics.Tensors;

namespace KrSbert.Index;

/// <summary>The one definition of <see cref="VectorHit.Score"/>, for native distances and for managed arithmetic alike.</summary>
internal static class SimilarityScore
{
    /// <summary>
    /// Converts a USearch distance: <c>cos</c> is 1 − cosine, <c>ip</c> is 1 − dot product, and
    /// <c>l2sq</c> is the squared Euclidean distance.
    /// </summary>
    public static float FromDistance(VectorMetric metric, float distance) => metric switch
    {
        VectorMetric.Cosine or VectorMetric.InnerProduct => 1f - distance,
        VectorMetric.L2 => -MathF.Sqrt(MathF.Max(distance, 0f)),
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    public static float Compute(VectorMetric metric, ReadOnlySpan<float> query, ReadOnlySpan<float> vector) => metric switch
    {
        VectorMetric.Cosine => TensorPrimitives.CosineSimilarity(query, vector),
        VectorMetric.InnerProduct => TensorPrimitives.Dot(query, vector),
        VectorMetric.L2 => -TensorPrimitives.Distance(query, vector),
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };
}
