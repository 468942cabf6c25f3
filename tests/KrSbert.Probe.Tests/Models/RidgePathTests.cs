using KrSbert.Probe.Models;
using MathNet.Numerics.LinearAlgebra;

namespace KrSbert.Probe.Tests.Models;

public sealed class RidgePathTests
{
    [Theory]
    [InlineData(40, 6, 0.1)]
    [InlineData(40, 6, 25)]
    [InlineData(8, 20, 0.5)]
    [InlineData(8, 20, 300)]
    public void Coefficients_equal_the_closed_form_in_primal_and_dual_form(int rows, int features, double lambda)
    {
        var random = new Random(rows + features);
        double[][] x = Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, features).Select(_ => random.NextDouble() * 4 - 2).ToArray()).ToArray();
        double[] y = x.Select(r => (3 * r[0]) - r[1] + 5 + random.NextDouble()).ToArray();

        var path = RidgePath.Fit(x, y);

        // Closed form with an unpenalised intercept: centre X and y, w = (XcᵀXc + λI)⁻¹ Xcᵀ yc, b = ȳ − x̄·w.
        var matrix = Matrix<double>.Build.DenseOfRowArrays(x);
        Vector<double> mean = matrix.ColumnSums() / rows;
        Matrix<double> centred = matrix - Matrix<double>.Build.Dense(rows, features, (_, j) => mean[j]);
        Vector<double> target = Vector<double>.Build.DenseOfArray(y) - y.Average();
        Vector<double> expected = (centred.TransposeThisAndMultiply(centred) + (lambda * Matrix<double>.Build.DenseIdentity(features))).Solve(centred.TransposeThisAndMultiply(target));
        double expectedIntercept = y.Average() - mean.DotProduct(expected);

        double[] actual = path.Coefficients(lambda);
        for (int j = 0; j < features; j++)
        {
            Assert.Equal(expected[j], actual[j], 1e-8);
        }

        Assert.Equal(expectedIntercept, path.Intercept(lambda), 1e-8);
        double[] prediction = path.Predict([x[0]], [lambda])[0];
        Assert.Equal(expectedIntercept + Vector<double>.Build.DenseOfArray(x[0]).DotProduct(expected), prediction[0], 1e-8);
    }

    [Fact]
    public void One_fit_predicts_the_whole_grid_as_separate_fits_would()
    {
        var random = new Random(3);
        double[][] x = Enumerable.Range(0, 30).Select(_ => Enumerable.Range(0, 4).Select(_ => random.NextDouble()).ToArray()).ToArray();
        double[] y = x.Select(r => r.Sum() + random.NextDouble()).ToArray();
        var path = RidgePath.Fit(x, y);
        double[] grid = [0.01, 1, 100];

        double[][] predictions = path.Predict(x, grid);

        for (int g = 0; g < grid.Length; g++)
        {
            double[] w = path.Coefficients(grid[g]);
            double b = path.Intercept(grid[g]);
            Assert.Equal(b + x[5].Zip(w, (p, q) => p * q).Sum(), predictions[g][5], 1e-9);
        }

        // Stronger shrinkage moves predictions towards the mean.
        Assert.True(Math.Abs(predictions[2][5] - y.Average()) < Math.Abs(predictions[0][5] - y.Average()));
    }
}
