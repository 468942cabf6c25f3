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
}
