namespace KrSbert.Probe.Models;

/// <summary>Column means and standard deviations fitted on training rows only, applied to any rows.</summary>
internal sealed class Standardizer
{
    private readonly double[] _mean;
    private readonly double[] _scale;

    private Standardizer(double[] mean, double[] scale)
    {
        _mean = mean;
        _scale = scale;
    }

    public static Standardizer Fit(double[][] features, IReadOnlyList<int> rows)
    {
        int p = features[rows[0]].Length;
        var mean = new double[p];
        var square = new double[p];
        foreach (int row in rows)
        {
            double[] x = features[row];
            for (int j = 0; j < p; j++)
            {
                mean[j] += x[j];
            }
        }

        for (int j = 0; j < p; j++)
        {
            mean[j] /= rows.Count;
        }

        foreach (int row in rows)
        {
            double[] x = features[row];
            for (int j = 0; j < p; j++)
            {
                double d = x[j] - mean[j];
                square[j] += d * d;
            }
        }

        var scale = new double[p];
        for (int j = 0; j < p; j++)
        {
            double sd = Math.Sqrt(square[j] / rows.Count);
            // A constant column stays zero instead of dividing by nothing.
            scale[j] = sd > 1e-12 ? 1 / sd : 0;
        }

        return new Standardizer(mean, scale);
    }

    /// <summary>Standardised copies of <paramref name="rows"/>, in that order.</summary>
    public double[][] Transform(double[][] features, IReadOnlyList<int> rows)
    {
        var result = new double[rows.Count][];
        for (int i = 0; i < rows.Count; i++)
        {
            double[] x = features[rows[i]];
            var z = new double[x.Length];
            for (int j = 0; j < x.Length; j++)
            {
                z[j] = (x[j] - _mean[j]) * _scale[j];
            }

            result[i] = z;
        }

        return result;
    }
}
