using System.Numerics.Tensors;
using KrSbert.Embedding;

namespace KrSbert.Cli.Commands;

/// <summary>How far int8 vectors are from fp32 ones over a set of texts, as <c>model verify --compare-int8</c> reports it.</summary>
/// <param name="Texts">Texts compared.</param>
/// <param name="CosineMean">Mean cosine between a text's int8 and fp32 vectors.</param>
/// <param name="CosineMin">The lowest of those cosines.</param>
/// <param name="CosineP1">The 1st percentile of those cosines (nearest rank).</param>
/// <param name="CosineP5">The 5th percentile of those cosines (nearest rank).</param>
/// <param name="Neighbours">Neighbours per text in the overlap (10, or fewer for a tiny set).</param>
/// <param name="NeighbourOverlap">Mean share of a text's nearest fp32 neighbours that are also its nearest int8 neighbours.</param>
/// <param name="AloneTexts">Texts embedded alone as well as in their batch.</param>
/// <param name="AloneCosineMean">Mean cosine between a text's int8 vector alone and inside its batch.</param>
/// <param name="AloneCosineMin">The lowest of those cosines.</param>
internal sealed record PrecisionComparison(
    int Texts, double CosineMean, double CosineMin, double CosineP1, double CosineP5, int Neighbours, double NeighbourOverlap, int AloneTexts, double AloneCosineMean, double AloneCosineMin)
{
    /// <summary>
    /// Embeds <paramref name="texts"/> with both models in batches, then the first <paramref name="aloneCount"/> alone
    /// with the int8 one: int8 activation scales are per batch, so a text's vector depends on its batch.
    /// </summary>
    public static PrecisionComparison Measure(SentenceEmbedder fp32, SentenceEmbedder int8, IReadOnlyList<string> texts, int aloneCount, CancellationToken cancellationToken)
    {
        float[][] reference = Unit(fp32.Embed(texts, cancellationToken: cancellationToken));
        float[][] quantized = Unit(int8.Embed(texts, cancellationToken: cancellationToken));
        double[] cosines = [.. reference.Zip(quantized, (a, b) => (double)TensorPrimitives.Dot(a, b))];

        int neighbours = Math.Min(10, texts.Count - 1);
        double overlap = 0;
        if (neighbours > 0)
        {
            for (int i = 0; i < texts.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var expected = Nearest(reference, i, neighbours);
                overlap += Nearest(quantized, i, neighbours).Count(expected.Contains) / (double)neighbours;
            }

            overlap /= texts.Count;
        }

        int alone = Math.Min(aloneCount, texts.Count);
        var aloneCosines = new double[alone];
        for (int i = 0; i < alone; i++)
        {
            float[] single = Unit(int8.Embed([texts[i]], cancellationToken: cancellationToken))[0];
            aloneCosines[i] = TensorPrimitives.Dot(single, quantized[i]);
        }

        // The minimum is one sentence and moves with its batch-mates (they set the activation scales); the low
        // percentiles show whether the tail as a whole moved.
        double[] sorted = [.. cosines.Order()];
        return new PrecisionComparison(
            texts.Count, cosines.Average(), sorted[0], Percentile(sorted, 1), Percentile(sorted, 5), neighbours, overlap,
            alone, alone > 0 ? aloneCosines.Average() : double.NaN, alone > 0 ? aloneCosines.Min() : double.NaN);
    }

    /// <summary>The nearest-rank <paramref name="percent"/>th percentile of ascending <paramref name="sorted"/> values.</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double percent)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        int rank = (int)Math.Ceiling(percent / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private static float[][] Unit(IReadOnlyList<SentenceEmbedding> embeddings) => [.. embeddings.Select(e =>
    {
        float[] v = [.. e.Vector];
        float norm = TensorPrimitives.Norm(v);
        TensorPrimitives.Divide(v, norm > 0 ? norm : 1, v);
        return v;
    })];

    /// <summary>The <paramref name="count"/> texts most similar to text <paramref name="query"/>, itself excluded.</summary>
    private static HashSet<int> Nearest(float[][] vectors, int query, int count)
    {
        var best = new PriorityQueue<int, float>(count + 1);
        for (int j = 0; j < vectors.Length; j++)
        {
            if (j == query)
            {
                continue;
            }

            float similarity = TensorPrimitives.Dot(vectors[query], vectors[j]);
            if (best.Count < count)
            {
                best.Enqueue(j, similarity);
            }
            else if (best.TryPeek(out _, out float lowest) && similarity > lowest)
            {
                best.DequeueEnqueue(j, similarity);
            }
        }

        return [.. best.UnorderedItems.Select(item => item.Element)];
    }
}
