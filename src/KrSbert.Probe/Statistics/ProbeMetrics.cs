namespace KrSbert.Probe.Statistics;

/// <summary>The scores of one test fold.</summary>
public static class ProbeMetrics
{
    /// <summary>Regression metric names, in report order; R² ranks.</summary>
    public static IReadOnlyList<string> Regression { get; } = ["r2", "rmse", "mae", "pearson", "spearman"];

    /// <summary>Classification metric names, in report order; accuracy ranks.</summary>
    public static IReadOnlyList<string> Classification { get; } = ["accuracy", "macro_f1"];

    /// <summary>Whether a larger value of <paramref name="metric"/> is better.</summary>
    public static bool HigherIsBetter(string metric) => metric is not ("rmse" or "mae");

    /// <summary>RMSE, MAE, R² (against the test fold's own mean), Pearson and Spearman.</summary>
    public static Dictionary<string, double> ForRegression(IReadOnlyList<double> truth, IReadOnlyList<double> predicted)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        int n = truth.Count;
        double mean = truth.Average();
        double squared = 0, absolute = 0, total = 0;
        for (int i = 0; i < n; i++)
        {
            double error = truth[i] - predicted[i];
            squared += error * error;
            absolute += Math.Abs(error);
            total += (truth[i] - mean) * (truth[i] - mean);
        }

        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["r2"] = total > 0 ? 1 - (squared / total) : double.NaN,
            ["rmse"] = Math.Sqrt(squared / n),
            ["mae"] = absolute / n,
            ["pearson"] = Pearson(truth, predicted),
            ["spearman"] = Pearson(Ranks(truth), Ranks(predicted)),
        };
    }

    /// <summary>Accuracy and macro-F1 over the classes present in the truth or the predictions.</summary>
    public static Dictionary<string, double> ForClassification(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        int n = truth.Count;
        int correct = 0;
        var classes = new SortedSet<int>(truth.Concat(predicted));
        double f1Sum = 0;
        for (int i = 0; i < n; i++)
        {
            correct += truth[i] == predicted[i] ? 1 : 0;
        }

        foreach (int c in classes)
        {
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < n; i++)
            {
                bool isTrue = truth[i] == c, isPredicted = predicted[i] == c;
                tp += isTrue && isPredicted ? 1 : 0;
                fp += !isTrue && isPredicted ? 1 : 0;
                fn += isTrue && !isPredicted ? 1 : 0;
            }

            f1Sum += tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn);
        }

        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = (double)correct / n,
            ["macro_f1"] = f1Sum / classes.Count,
        };
    }

    /// <summary>Pearson correlation; NaN when either side is constant.</summary>
    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        double meanA = a.Average(), meanB = b.Average();
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Count; i++)
        {
            double da = a[i] - meanA, db = b[i] - meanB;
            ab += da * db;
            aa += da * da;
            bb += db * db;
        }

        // A constant side (the mean baseline) has no correlation; rounding must not make one up.
        return aa > Spread(meanA, a.Count) && bb > Spread(meanB, b.Count) ? ab / Math.Sqrt(aa * bb) : double.NaN;
    }

    private static double Spread(double mean, int count) => 1e-20 * count * Math.Max(1, mean * mean);

    /// <summary>Ranks from 1, ties sharing their average rank.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int n = values.Count;
        int[] order = Enumerable.Range(0, n).OrderBy(i => values[i]).ToArray();
        var ranks = new double[n];
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            double rank = ((start + end) / 2.0) + 1;
            for (int k = start; k <= end; k++)
            {
                ranks[order[k]] = rank;
            }

            start = end + 1;
        }

        return ranks;
    }
}
