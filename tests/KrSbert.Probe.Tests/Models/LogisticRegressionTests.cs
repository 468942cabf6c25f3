using KrSbert.Probe.Models;

namespace KrSbert.Probe.Tests.Models;

public sealed class LogisticRegressionTests
{
    [Fact]
    public void Objective_and_gradient_at_zero_match_the_hand_computed_values()
    {
        // One row x = (1, 2) of class 0, two classes, all parameters zero: both classes have probability ½,
        // the loss is ln 2, and the gradient of class k is (p_k − [k = 0])·(x, 1) with no penalty term.
        double[][] x = [[1, 2]];
        int[] y = [0];
        var theta = new double[6];
        var gradient = new double[6];

        double value = LogisticRegression.Objective(x, y, 2, 1, theta, gradient);

        Assert.Equal(Math.Log(2), value, 1e-12);
        Assert.Equal([-0.5, -1, -0.5, 0.5, 1, 0.5], gradient);
    }

    [Fact]
    public void Gradient_matches_finite_differences_with_the_penalty()
    {
        var random = new Random(7);
        double[][] x = Enumerable.Range(0, 12).Select(_ => Enumerable.Range(0, 3).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
        int[] y = Enumerable.Range(0, 12).Select(i => i % 3).ToArray();
        double[] theta = Enumerable.Range(0, 12).Select(_ => random.NextDouble() - 0.5).ToArray();
        var gradient = new double[12];
        LogisticRegression.Objective(x, y, 3, 0.5, theta, gradient);

        var scratch = new double[12];
        for (int k = 0; k < theta.Length; k++)
        {
            double[] plus = theta.ToArray(), minus = theta.ToArray();
            plus[k] += 1e-6;
            minus[k] -= 1e-6;
            double numeric = (LogisticRegression.Objective(x, y, 3, 0.5, plus, scratch) - LogisticRegression.Objective(x, y, 3, 0.5, minus, scratch)) / 2e-6;
            Assert.Equal(numeric, gradient[k], 1e-7);
        }
    }

    [Fact]
    public void Fit_reaches_the_known_optimum_on_a_separable_toy_case()
    {
        // x = −2, −1 (class 0) and 1, 2 (class 1), C = 1. By symmetry the optimum is w₁ = −w₀ = β, b = 0, where β
        // minimises ½[ln(1 + e^(−2β)) + ln(1 + e^(−4β))] + β²/4: found here by bisection on the derivative.
        double[][] x = [[-2], [-1], [1], [2]];
        int[] y = [0, 0, 1, 1];
        static double Derivative(double b) => -(Math.Exp(-2 * b) / (1 + Math.Exp(-2 * b))) - (2 * Math.Exp(-4 * b) / (1 + Math.Exp(-4 * b))) + (b / 2);
        double low = 0, high = 10;
        for (int i = 0; i < 200; i++)
        {
            double mid = (low + high) / 2;
            (low, high) = Derivative(mid) > 0 ? (low, mid) : (mid, high);
        }

        double beta = (low + high) / 2;

        var model = LogisticRegression.Fit(x, y, 2, 1, null, CancellationToken.None);

        ReadOnlySpan<double> p = model.Parameters;
        Assert.Equal(-beta, p[0], 1e-4);
        Assert.Equal(beta, p[2], 1e-4);
        Assert.Equal(p[1], p[3], 1e-6);
        Assert.Equal(y, x.Select(model.Predict).ToArray());
        var gradient = new double[4];
        LogisticRegression.Objective(x, y, 2, 1, p.ToArray(), gradient);
        Assert.All(gradient, g => Assert.True(Math.Abs(g) < 1e-4, $"gradient {g} at the optimum"));
    }

    [Fact]
    public void A_smaller_c_shrinks_the_weights()
    {
        double[][] x = [[-2], [-1], [1], [2]];
        int[] y = [0, 0, 1, 1];

        double strong = Math.Abs(LogisticRegression.Fit(x, y, 2, 0.25, null, CancellationToken.None).Parameters[2]);
        double weak = Math.Abs(LogisticRegression.Fit(x, y, 2, 8, null, CancellationToken.None).Parameters[2]);

        Assert.True(strong < weak, $"|w| with C=0.25 is {strong}, with C=8 {weak}");
    }
}
