namespace KrSbert.Cli.Bench;

/// <summary>Uniform random vectors for benchmarks that measure storage, not recall (recall needs <see cref="SyntheticClusters"/>).</summary>
internal static class RandomVectors
{
    /// <summary>A vector of <paramref name="dimension"/> values uniform in [-1, 1).</summary>
    public static float[] Next(Random random, int dimension)
    {
        var vector = new float[dimension];
        for (int i = 0; i < dimension; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return vector;
    }

    /// <summary>A random direction of <paramref name="dimension"/> values, scaled to length 1 (what a normalising model writes).</summary>
    public static float[] Unit(Random random, int dimension)
    {
        float[] vector = Next(random, dimension);
        float length = MathF.Sqrt(vector.Sum(v => v * v));
        for (int i = 0; i < dimension; i++)
        {
            vector[i] /= length;
        }

        return vector;
    }
}
