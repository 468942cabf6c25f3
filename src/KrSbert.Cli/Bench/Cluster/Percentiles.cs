namespace KrSbert.Cli.Bench.Cluster;

/// <summary>The median and the 99th percentile of a set of timings (NaN when there are none).</summary>
internal readonly record struct Percentiles(double P50, double P99)
{
    public static Percentiles Of(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return new Percentiles(At(sorted, 0.5), At(sorted, 0.99));
    }

    private static double At(double[] sorted, double quantile) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(quantile * sorted.Length))];
}
