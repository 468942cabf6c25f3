namespace KrSbert.Probe.Models;

/// <summary>
/// Limited-memory BFGS (two-loop recursion) with a backtracking Armijo line search, for smooth convex
/// objectives such as L2-regularised logistic regression.
/// </summary>
internal static class Lbfgs
{
    /// <summary>An objective: writes the gradient at x into the second argument and returns the value.</summary>
    public delegate double Objective(double[] x, double[] gradient);

    /// <summary>Minimises <paramref name="objective"/> from <paramref name="start"/> (updated in place).</summary>
    /// <returns>The number of iterations run.</returns>
    public static int Minimize(Objective objective, double[] start, double gradientTolerance, int maxIterations, CancellationToken cancellationToken, int memory = 10)
    {
        int n = start.Length;
        double[] x = start;
        var g = new double[n];
        double f = objective(x, g);
        var sHistory = new List<double[]>(memory);
        var yHistory = new List<double[]>(memory);
        var rho = new List<double>(memory);
        var direction = new double[n];
        var alpha = new double[memory];
        var candidate = new double[n];
        var candidateGradient = new double[n];
        int iteration = 0;
        while (iteration < maxIterations && MaxAbs(g) > gradientTolerance)
        {
            cancellationToken.ThrowIfCancellationRequested();
            iteration++;
            // Two-loop recursion: direction = -H·g.
            Array.Copy(g, direction, n);
            for (int k = sHistory.Count - 1; k >= 0; k--)
            {
                alpha[k] = rho[k] * Dot(sHistory[k], direction);
                Axpy(-alpha[k], yHistory[k], direction);
            }

            double gamma = sHistory.Count > 0 ? Dot(sHistory[^1], yHistory[^1]) / Dot(yHistory[^1], yHistory[^1]) : 1 / Math.Max(1, Norm(g));
            for (int i = 0; i < n; i++)
            {
                direction[i] *= gamma;
            }

            for (int k = 0; k < sHistory.Count; k++)
            {
                double beta = rho[k] * Dot(yHistory[k], direction);
                Axpy(alpha[k] - beta, sHistory[k], direction);
            }

            for (int i = 0; i < n; i++)
            {
                direction[i] = -direction[i];
            }

            double slope = Dot(g, direction);
            if (slope >= 0)
            {
                // Not a descent direction (curvature information went stale): restart along the gradient.
                sHistory.Clear();
                yHistory.Clear();
                rho.Clear();
                double scale = 1 / Math.Max(1, Norm(g));
                for (int i = 0; i < n; i++)
                {
                    direction[i] = -g[i] * scale;
                }

                slope = Dot(g, direction);
            }

            double step = 1;
            double candidateValue;
            int backtracks = 0;
            while (true)
            {
                for (int i = 0; i < n; i++)
                {
                    candidate[i] = x[i] + (step * direction[i]);
                }

                candidateValue = objective(candidate, candidateGradient);
                if (candidateValue <= f + (1e-4 * step * slope) || backtracks >= 40)
                {
                    break;
                }

                step *= 0.5;
                backtracks++;
            }

            if (candidateValue > f)
            {
                break;
            }

            var s = new double[n];
            var y = new double[n];
            for (int i = 0; i < n; i++)
            {
                s[i] = candidate[i] - x[i];
                y[i] = candidateGradient[i] - g[i];
            }

            double sy = Dot(s, y);
            if (sy > 1e-12)
            {
                if (sHistory.Count == memory)
                {
                    sHistory.RemoveAt(0);
                    yHistory.RemoveAt(0);
                    rho.RemoveAt(0);
                }

                sHistory.Add(s);
                yHistory.Add(y);
                rho.Add(1 / sy);
            }

            Array.Copy(candidate, x, n);
            Array.Copy(candidateGradient, g, n);
            double previous = f;
            f = candidateValue;
            if (Math.Abs(previous - f) <= 1e-12 * Math.Max(1, Math.Abs(f)))
            {
                break;
            }
        }

        return iteration;
    }

    private static double Dot(double[] a, double[] b) => System.Numerics.Tensors.TensorPrimitives.Dot<double>(a, b);

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    private static double MaxAbs(double[] a) => a.Length == 0 ? 0 : System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<double>(a) is var m ? Math.Abs(m) : 0;

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            y[i] += a * x[i];
        }
    }
}
