namespace KrSbert.Index;

/// <summary>
/// Brute-force top-k with the same metrics and <see cref="VectorHit.Score"/> definition as <see cref="HnswIndex"/>:
/// for <c>exact</c> queries, collections too small to be worth a graph, and measuring an index's recall.
/// Ties are broken by key so that the result is deterministic.
/// </summary>
public static class ExactSearch
{
    /// <summary>
    /// The <paramref name="k"/> best of <paramref name="keys"/> for <paramref name="query"/>, best first.
    /// <paramref name="vectors"/> holds <paramref name="keys"/>.Length rows of <paramref name="query"/>.Length floats.
    /// </summary>
    /// <param name="query">The query vector; its length is the dimension of every row.</param>
    /// <param name="keys">One key per row of <paramref name="vectors"/>.</param>
    /// <param name="vectors">The candidate vectors, row-major.</param>
    /// <param name="k">How many hits to return at most, 1 to <see cref="HnswOptions.MaxExpansion"/>.</param>
    /// <param name="metric">How to compare.</param>
    /// <param name="filter">When given, only keys it accepts are considered.</param>
    /// <exception cref="ArgumentException">The shapes disagree, or <paramref name="query"/> has a non-finite value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is out of range.</exception>
    public static VectorHit[] Search(ReadOnlySpan<float> query, ReadOnlySpan<ulong> keys, ReadOnlySpan<float> vectors, int k, VectorMetric metric = VectorMetric.Cosine, Func<ulong, bool>? filter = null)
    {
        CheckK(k);
        int dimensions = query.Length;
        if (dimensions == 0)
        {
            throw new ArgumentException("The query is empty.", nameof(query));
        }

        if ((long)keys.Length * dimensions != vectors.Length)
        {
            throw new ArgumentException($"Expected {keys.Length} x {dimensions} = {(long)keys.Length * dimensions} values for {keys.Length} keys, got {vectors.Length}.", nameof(vectors));
        }

        VectorChecks.Check(query, dimensions, metric, nameof(query));
        var top = new TopKCollector(Math.Min(k, Math.Max(keys.Length, 1)));
        for (int i = 0; i < keys.Length; i++)
        {
            if (filter is null || filter(keys[i]))
            {
                top.Offer(keys[i], Score(query, vectors.Slice(i * dimensions, dimensions), metric));
            }
        }

        return top.ToSortedArray();
    }

    /// <summary>The similarity of two vectors as <see cref="VectorHit.Score"/> defines it.</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static float Score(ReadOnlySpan<float> a, ReadOnlySpan<float> b, VectorMetric metric = VectorMetric.Cosine)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Expected a vector of {a.Length} dimensions, got {b.Length}.", nameof(b));
        }

        return SimilarityScore.Compute(metric, a, b);
    }

    internal static void CheckK(int k)
    {
        if (k < 1 || k > HnswOptions.MaxExpansion)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 1 and {HnswOptions.MaxExpansion}; it is {k}.");
        }
    }
}
