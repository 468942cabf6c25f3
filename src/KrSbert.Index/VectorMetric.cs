namespace KrSbert.Index;

/// <summary>
/// How two vectors are compared. Every metric is reported as a similarity (<see cref="VectorHit.Score"/>, higher is better).
/// The numeric values are written into snapshots and must not change.
/// </summary>
public enum VectorMetric
{
    /// <summary>Cosine similarity, 1 − cosine distance. Vectors with a zero norm are rejected.</summary>
    Cosine = 0,

    /// <summary>The dot product; equals cosine for L2-normalised vectors and skips the norms.</summary>
    InnerProduct = 1,

    /// <summary>Negative Euclidean distance, so that nearer is still higher.</summary>
    L2 = 2,
}
