using MathNet.Numerics.LinearAlgebra;

namespace KrSbert.Probe.Models;

/// <summary>
/// Ridge regression for a whole grid of λ from one eigendecomposition: of the centred Gram matrix XᵀX when
/// there are fewer features than rows (primal), of the kernel XXᵀ otherwise (dual). Either way the fit is
/// w(λ) = B·(a ⊘ (Λ + λ)) with basis B, so every λ costs one matrix-vector product. The intercept is not
/// penalised: X and y are centred on the training rows.
/// </summary>
internal sealed class RidgePath
{
    private readonly Matrix<double>? _basis;
    private readonly double[] _eigenvalues;
    private readonly double[] _projection;
    private readonly double[] _mean;
    private readonly int[] _active;
    private readonly double _targetMean;

    private RidgePath(Matrix<double>? basis, double[] eigenvalues, double[] projection, double[] mean, int[] active, double targetMean)
    {
        _basis = basis;
        _active = active;
        _eigenvalues = eigenvalues;
        _projection = projection;
        _mean = mean;
        _targetMean = targetMean;
    }

    /// <summary>The λ grid: 10^-3 … 10^6 in half decades (features are standardised, so the scale is known).</summary>
    public static IReadOnlyList<double> DefaultGrid { get; } = Enumerable.Range(0, 19).Select(k => Math.Pow(10, -3 + (k / 2.0))).ToArray();

    /// <summary>Fits on rows <paramref name="x"/> with targets <paramref name="y"/>.</summary>
    public static RidgePath Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y)
    {
        int m = x.Count;
        int p = x[0].Length;
        var mean = new double[p];
        double targetMean = 0;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < p; j++)
            {
                mean[j] += x[i][j];
            }

            targetMean += y[i];
        }

        for (int j = 0; j < p; j++)
        {
            mean[j] /= m;
        }

        targetMean /= m;
        // Constant columns (a token never seen in this fold) carry nothing, and the eigensolver fails on the
        // exact zero rows they leave in the Gram matrix: they are left out and get a zero coefficient.
        int[] active = Enumerable.Range(0, p).Where(j => Enumerable.Range(0, m).Any(i => x[i][j] != mean[j])).ToArray();
        if (active.Length == 0)
        {
            return new RidgePath(null, [], [], mean, active, targetMean);
        }

        Matrix<double> centred = Matrix<double>.Build.Dense(m, active.Length, (i, j) => x[i][active[j]] - mean[active[j]]);
        if (!centred.Enumerate().All(double.IsFinite) || !double.IsFinite(targetMean))
        {
            // The eigensolver indexes out of its arrays on NaN; say what is wrong instead.
            throw new ArgumentException("features and targets must be finite numbers", nameof(x));
        }

        Vector<double> target = Vector<double>.Build.Dense(m, i => y[i] - targetMean);
        Matrix<double> basis;
        Vector<double> projection;
        double[] eigenvalues;
        if (active.Length <= m)
        {
            var evd = centred.TransposeThisAndMultiply(centred).Evd(Symmetricity.Symmetric);
            basis = evd.EigenVectors;
            eigenvalues = evd.EigenValues.Select(v => Math.Max(v.Real, 0)).ToArray();
            projection = basis.TransposeThisAndMultiply(centred.TransposeThisAndMultiply(target));
        }
        else
        {
            var evd = centred.TransposeAndMultiply(centred).Evd(Symmetricity.Symmetric);
            eigenvalues = evd.EigenValues.Select(v => Math.Max(v.Real, 0)).ToArray();
            basis = centred.TransposeThisAndMultiply(evd.EigenVectors);
            projection = evd.EigenVectors.TransposeThisAndMultiply(target);
        }

        return new RidgePath(basis, eigenvalues, projection.ToArray(), mean, active, targetMean);
    }

    /// <summary>The coefficients for <paramref name="lambda"/>.</summary>
    public double[] Coefficients(double lambda)
    {
        var coefficients = new double[_mean.Length];
        if (_basis is not null)
        {
            Vector<double> active = _basis.Multiply(Vector<double>.Build.Dense(Scaled(lambda)));
            for (int j = 0; j < _active.Length; j++)
            {
                coefficients[_active[j]] = active[j];
            }
        }

        return coefficients;
    }

    /// <summary>The intercept for <paramref name="lambda"/>.</summary>
    public double Intercept(double lambda)
    {
        double[] w = Coefficients(lambda);
        double b = _targetMean;
        for (int j = 0; j < w.Length; j++)
        {
            b -= _mean[j] * w[j];
        }

        return b;
    }

    /// <summary>Predictions for <paramref name="x"/>, one array per λ of <paramref name="grid"/>.</summary>
    public double[][] Predict(IReadOnlyList<double[]> x, IReadOnlyList<double> grid)
    {
        int h = x.Count;
        var result = new double[grid.Count][];
        if (_basis is null)
        {
            for (int g = 0; g < grid.Count; g++)
            {
                result[g] = Enumerable.Repeat(_targetMean, h).ToArray();
            }

            return result;
        }

        Matrix<double> centred = Matrix<double>.Build.Dense(h, _active.Length, (i, j) => x[i][_active[j]] - _mean[_active[j]]);
        Matrix<double> z = centred.Multiply(_basis);
        for (int g = 0; g < grid.Count; g++)
        {
            Vector<double> scaled = Vector<double>.Build.Dense(Scaled(grid[g]));
            result[g] = z.Multiply(scaled).Select(v => v + _targetMean).ToArray();
        }

        return result;
    }

    private double[] Scaled(double lambda)
    {
        var scaled = new double[_projection.Length];
        for (int k = 0; k < scaled.Length; k++)
        {
            double denominator = _eigenvalues[k] + lambda;
            scaled[k] = denominator > 0 ? _projection[k] / denominator : 0;
        }

        return scaled;
    }
}
