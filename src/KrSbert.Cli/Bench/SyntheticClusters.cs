using System.Numerics.Tensors;

namespace KrSbert.Cli.Bench;

/// <summary>
/// Seeded clustered vectors for benchmarks and tests, standing in for sentence embeddings: points scattered
/// around random centres, then L2-normalised. Uniform random vectors would be a poor stand-in: in high
/// dimensions all their distances are nearly equal and no index finds neighbours among them.
/// </summary>
internal sealed class SyntheticClusters
{
    private readonly float[] _centres;

    /// <summary>Draws <paramref name="clusters"/> centres of <paramref name="dimensions"/> standard normal values.</summary>
    /// <param name="dimensions">The vector length.</param>
    /// <param name="clusters">How many centres.</param>
    /// <param name="spread">Standard deviation of each point's offset from its centre, per dimension (centres have 1).</param>
    /// <param name="seed">Seeds the centres; the same arguments give the same centres.</param>
    public SyntheticClusters(int dimensions, int clusters, float spread, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(clusters, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(spread);
        Dimensions = dimensions;
        Clusters = clusters;
        Spread = spread;
        _centres = new float[(long)clusters * dimensions];
        var random = new Random(seed);
        FillNormal(random, _centres, 1f);
    }

    /// <summary>The vector length.</summary>
    public int Dimensions { get; }

    /// <summary>How many centres.</summary>
    public int Clusters { get; }

    /// <summary>The per-dimension standard deviation around a centre.</summary>
    public float Spread { get; }

    /// <summary>
    /// <paramref name="count"/> normalised vectors, row-major, each around a centre drawn at random. Use one seed
    /// for the indexed vectors and another for the queries: they then share centres but not points.
    /// </summary>
    public float[] Sample(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var rows = new float[(long)count * Dimensions];
        Span<float> noise = new float[Dimensions];
        for (int i = 0; i < count; i++)
        {
            Span<float> row = rows.AsSpan(i * Dimensions, Dimensions);
            int centre = random.Next(Clusters);
            FillNormal(random, noise, Spread);
            TensorPrimitives.Add(_centres.AsSpan(centre * Dimensions, Dimensions), noise, row);
            float norm = TensorPrimitives.Norm(row);
            TensorPrimitives.Divide(row, MathF.Max(norm, 1e-12f), row);
        }

        return rows;
    }

    /// <summary>Box–Muller: two standard normal values from two uniform ones.</summary>
    private static void FillNormal(Random random, Span<float> values, float scale)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double radius = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble()));
            double angle = 2 * Math.PI * random.NextDouble();
            values[i] = (float)(radius * Math.Cos(angle)) * scale;
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(radius * Math.Sin(angle)) * scale;
            }
        }
    }
}
