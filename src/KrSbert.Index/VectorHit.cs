namespace KrSbert.Index;

/// <summary>
/// One search result. <see cref="Score"/> is a similarity, higher is better, whatever the metric:
/// <see cref="VectorMetric.Cosine"/> gives the cosine similarity (1 − cosine distance, in [−1, 1]),
/// <see cref="VectorMetric.InnerProduct"/> the dot product, and <see cref="VectorMetric.L2"/> the negative
/// Euclidean distance (0 for an identical vector).
/// </summary>
/// <param name="Key">The key the vector was added under.</param>
/// <param name="Score">The similarity to the query; results come sorted by it, highest first, ties by key.</param>
public readonly record struct VectorHit(ulong Key, float Score);
