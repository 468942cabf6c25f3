using MathNet.Numerics.Distributions;

namespace KrSbert.Probe.Statistics;

/// <summary>
/// Nadeau and Bengio's corrected resampled t statistic (Machine Learning 52, 2003): fold scores of repeated
/// k-fold share training rows, so their plain variance understates the uncertainty. The correction
/// inflates it to (1/J + n_test/n_train)·s² over J = folds × repeats values, with J − 1 degrees of freedom.
/// </summary>
public static class CorrectedResampledT
{
    /// <summary>The mean of <paramref name="values"/> with its 95% corrected interval and the two-sided p-value of mean = 0.</summary>
    /// <param name="values">One value per fold (a score, or a paired difference of scores).</param>
    /// <param name="testToTrainRatio">Mean test rows over mean training rows.</param>
    public static IntervalEstimate Estimate(IReadOnlyList<double> values, double testToTrainRatio)
    {
        ArgumentNullException.ThrowIfNull(values);
        int j = values.Count;
        double mean = values.Average();
        if (j < 2)
        {
            return new IntervalEstimate(mean, double.NaN, double.NaN, double.NaN);
        }

        double variance = values.Sum(v => (v - mean) * (v - mean)) / (j - 1);
        double corrected = ((1.0 / j) + testToTrainRatio) * variance;
        double se = Math.Sqrt(corrected);
        double critical = StudentT.InvCDF(0, 1, j - 1, 0.975);
        if (se == 0)
        {
            return new IntervalEstimate(mean, mean, mean, mean == 0 ? 1 : 0);
        }

        double t = mean / se;
        double p = 2 * (1 - StudentT.CDF(0, 1, j - 1, Math.Abs(t)));
        return new IntervalEstimate(mean, mean - (critical * se), mean + (critical * se), p);
    }
}

/// <summary>A mean with its 95% interval and the p-value of "the true mean is zero".</summary>
/// <param name="Mean">The mean over folds.</param>
/// <param name="Low">Lower end of the 95% interval.</param>
/// <param name="High">Upper end of the 95% interval.</param>
/// <param name="P">Two-sided p-value against zero.</param>
public readonly record struct IntervalEstimate(double Mean, double Low, double High, double P);
