namespace KrSbert.Search.Querying;

/// <summary>
/// Fuses a dense and a lexical ranking into one (each list best first, ties by document id, one entry per document).
/// Ties in the fused score go to the lower document id (ordinal), as everywhere in results, so an empty leg leaves
/// the other leg's order as it was and shards merge to a single node's order.
/// </summary>
internal static class HybridFusion
{
    /// <summary>The top <paramref name="topK"/> documents of both legs under <paramref name="fusion"/>.</summary>
    public static List<Found> Fuse(IReadOnlyList<Found> dense, IReadOnlyList<Found> lexical, Fusion fusion, int topK)
    {
        var merged = new Dictionary<long, (Found? Dense, Found? Lexical)>();
        foreach (Found found in dense)
        {
            merged[found.Document] = (found, null);
        }

        foreach (Found found in lexical)
        {
            merged[found.Document] = (merged.GetValueOrDefault(found.Document).Dense, found);
        }

        (float Min, float Max) denseRange = Range(dense);
        (float Min, float Max) lexicalRange = Range(lexical);
        return merged
            .Select(m =>
            {
                (Found? d, Found? l) = m.Value;
                double score = fusion.Method == FusionMethod.Rrf
                    ? Reciprocal(d, fusion.DenseWeight, fusion.RrfK) + Reciprocal(l, fusion.LexicalWeight, fusion.RrfK)
                    : (fusion.Alpha * Normalised(d, denseRange)) + ((1 - fusion.Alpha) * Normalised(l, lexicalRange));
                // The hit shows the dense leg's best chunk when it has one: the chunk whose meaning matched.
                Found chunk = d ?? l!;
                return new Found(m.Key, chunk.Id, chunk.ChunkKey, (float)score, d?.Dense, l?.Lexical);
            })
            // The reported (single-precision) score orders, so the order a caller sees is the rule it can check.
            .OrderByDescending(f => f.Score)
            .ThenBy(f => f.Id, StringComparer.Ordinal)
            .Take(topK)
            .ToList();
    }

    private static double Reciprocal(Found? found, double weight, double k) =>
        found is null ? 0 : weight / (k + (found.Dense ?? found.Lexical)!.Rank);

    /// <summary>Min-max normalisation over the leg's candidates; a leg whose scores are all equal maps them to 1.</summary>
    private static double Normalised(Found? found, (float Min, float Max) range)
    {
        if (found is null)
        {
            return 0;
        }

        return range.Max > range.Min ? (found.Score - range.Min) / (double)(range.Max - range.Min) : 1;
    }

    private static (float Min, float Max) Range(IReadOnlyList<Found> leg) =>
        leg.Count == 0 ? (0, 0) : (leg.Min(f => f.Score), leg.Max(f => f.Score));
}
