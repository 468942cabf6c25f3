using KrSbert.Probe.Data;
using KrSbert.Probe.Features;
using KrSbert.Probe.Models;
using KrSbert.Probe.Statistics;
using KrSbert.Probe.Validation;

namespace KrSbert.Probe;

/// <summary>
/// Cross-validates linear probes on every candidate over the same repeated, grouped, stratified splits:
/// standardisation fitted on each training fold, λ or C chosen by inner folds of that training fold only,
/// then scored on the held-out fold.
/// </summary>
public static class ProbeEvaluator
{
    /// <summary>The outer splits: for each repeat and fold, the training and test rows.</summary>
    /// <exception cref="ProbeInputException">There are fewer distinct texts than folds.</exception>
    public static IReadOnlyList<(int[] Train, int[] Test)> Splits(ProbeDataset data, ProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        int[] groups = GroupedFolds.Groups(data.FirstText, data.SecondText, data.Texts.Count);
        int[] strata = GroupedFolds.Strata(data.Targets, data.Task);
        var splits = new List<(int[], int[])>();
        for (int repeat = 0; repeat < options.Repeats; repeat++)
        {
            int[] fold = GroupedFolds.Assign(groups, strata, options.Folds, new Random(unchecked((options.Seed * 7919) + repeat)));
            for (int f = 0; f < options.Folds; f++)
            {
                splits.Add((
                    Enumerable.Range(0, data.Count).Where(i => fold[i] != f).ToArray(),
                    Enumerable.Range(0, data.Count).Where(i => fold[i] == f).ToArray()));
            }
        }

        return splits;
    }

    /// <summary>Scores every candidate and compares them.</summary>
    /// <exception cref="ProbeInputException">Too few texts for the folds or inner folds.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static ProbeReport Evaluate(ProbeDataset data, IReadOnlyList<ProbeCandidate> candidates, ProbeOptions options, IProgress<ProbeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IReadOnlyList<(int[] Train, int[] Test)> splits = Splits(data, options);
        int[] groups = GroupedFolds.Groups(data.FirstText, data.SecondText, data.Texts.Count);
        int[] strata = GroupedFolds.Strata(data.Targets, data.Task);
        IReadOnlyList<string> metrics = data.Task == ProbeTask.Regression ? ProbeMetrics.Regression : ProbeMetrics.Classification;
        var outcomes = new FoldOutcome[candidates.Count, splits.Count];
        int total = candidates.Count * splits.Count;
        int done = 0;
        progress?.Report(new ProbeProgress("folds", 0, total));
        try
        {
            Parallel.For(0, total, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, unit =>
            {
                int c = unit / splits.Count, s = unit % splits.Count;
                var split = splits[s];
                var innerRandom = new Random(unchecked((options.Seed * 1_000_003) + (s * 1009) + 17));
                outcomes[c, s] = ScoreNamed(data, candidates[c], split.Train, split.Test, groups, strata, options.InnerFolds, innerRandom, cancellationToken);
                progress?.Report(new ProbeProgress("folds", Interlocked.Increment(ref done), total));
            });
        }
        catch (AggregateException e)
        {
            // Callers expect the failure itself (a bad input, a cancellation), not the loop's wrapper.
            Exception first = e.Flatten().InnerExceptions.FirstOrDefault(x => x is ProbeInputException)
                ?? e.Flatten().InnerExceptions.FirstOrDefault(x => x is OperationCanceledException)
                ?? e.Flatten().InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }

        double ratio = splits.Average(s => s.Test.Length) / splits.Average(s => s.Train.Length);
        var results = new List<CandidateResult>();
        for (int c = 0; c < candidates.Count; c++)
        {
            var scores = metrics.ToDictionary(m => m, m => Enumerable.Range(0, splits.Count).Select(s => outcomes[c, s].Metrics[m]).ToArray(), StringComparer.Ordinal);
            double[] parameters = Enumerable.Range(0, splits.Count).Select(s => outcomes[c, s].Parameter).Where(double.IsFinite).Order().ToArray();
            results.Add(new CandidateResult
            {
                Name = candidates[c].Name,
                IsBaseline = candidates[c].IsBaseline,
                Dimension = candidates[c].Dimension,
                ParameterName = candidates[c].Features is null ? null : data.Task == ProbeTask.Regression ? "lambda" : "C",
                Parameter = parameters.Length == 0 ? null : parameters[parameters.Length / 2],
                Metrics = scores.ToDictionary(p => p.Key, p => CorrectedResampledT.Estimate(p.Value, ratio), StringComparer.Ordinal),
                FoldScores = scores,
            });
        }

        string primary = metrics[0];
        results = results.OrderByDescending(r => double.IsNaN(r.Metrics[primary].Mean) ? double.NegativeInfinity : r.Metrics[primary].Mean).ToList();
        var comparisons = new List<Comparison>();
        for (int a = 0; a < results.Count; a++)
        {
            for (int b = a + 1; b < results.Count; b++)
            {
                double[] x = results[a].FoldScores[primary], y = results[b].FoldScores[primary];
                double[] difference = x.Zip(y, (p, q) => p - q).ToArray();
                comparisons.Add(new Comparison(results[a].Name, results[b].Name, primary, CorrectedResampledT.Estimate(difference, ratio)));
            }
        }

        return new ProbeReport
        {
            Task = data.Task,
            PrimaryMetric = primary,
            Metrics = metrics,
            Rows = data.Count,
            SkippedRows = data.SkippedRows,
            Texts = data.Texts.Count,
            Pairs = data.IsPairs,
            Classes = data.Classes,
            Folds = options.Folds,
            Repeats = options.Repeats,
            InnerFolds = options.InnerFolds,
            Seed = options.Seed,
            Candidates = results,
            Comparisons = comparisons,
        };
    }

    private static FoldOutcome ScoreNamed(ProbeDataset data, ProbeCandidate candidate, int[] train, int[] test, int[] groups, int[] strata, int innerFolds, Random innerRandom, CancellationToken cancellationToken)
    {
        try
        {
            return Score(data, candidate, train, test, groups, strata, innerFolds, innerRandom, cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new ProbeInputException($"{candidate.Name}: {e.Message}", e);
        }
    }

    private static FoldOutcome Score(ProbeDataset data, ProbeCandidate candidate, int[] train, int[] test, int[] groups, int[] strata, int innerFolds, Random innerRandom, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        double[] yTrain = train.Select(i => data.Targets[i]).ToArray();
        double[] yTest = test.Select(i => data.Targets[i]).ToArray();
        bool regression = data.Task == ProbeTask.Regression;
        if (candidate.Features is null)
        {
            if (regression)
            {
                double mean = yTrain.Average();
                return new FoldOutcome(ProbeMetrics.ForRegression(yTest, yTest.Select(_ => mean).ToArray()), double.NaN);
            }

            int majority = yTrain.GroupBy(v => (int)v).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
            return new FoldOutcome(ProbeMetrics.ForClassification(yTest.Select(v => (int)v).ToArray(), yTest.Select(_ => majority).ToArray()), double.NaN);
        }

        var scaler = Standardizer.Fit(candidate.Features, train);
        double[][] xTrain = scaler.Transform(candidate.Features, train);
        double[][] xTest = scaler.Transform(candidate.Features, test);
        int[] innerFold = GroupedFolds.Assign(train.Select(i => groups[i]).ToArray(), train.Select(i => strata[i]).ToArray(), innerFolds, innerRandom);
        if (regression)
        {
            IReadOnlyList<double> grid = RidgePath.DefaultGrid;
            var errors = new double[grid.Count];
            for (int k = 0; k < innerFolds; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int[] fit = Enumerable.Range(0, train.Length).Where(i => innerFold[i] != k).ToArray();
                int[] held = Enumerable.Range(0, train.Length).Where(i => innerFold[i] == k).ToArray();
                var path = RidgePath.Fit(fit.Select(i => xTrain[i]).ToArray(), fit.Select(i => yTrain[i]).ToArray());
                double[][] predictions = path.Predict(held.Select(i => xTrain[i]).ToArray(), grid);
                for (int g = 0; g < grid.Count; g++)
                {
                    for (int h = 0; h < held.Length; h++)
                    {
                        double e = predictions[g][h] - yTrain[held[h]];
                        errors[g] += e * e;
                    }
                }
            }

            // Ties go to the larger λ: the simpler model.
            int best = 0;
            for (int g = 1; g < grid.Count; g++)
            {
                if (errors[g] <= errors[best])
                {
                    best = g;
                }
            }

            double lambda = grid[best];
            double[] predicted = RidgePath.Fit(xTrain, yTrain).Predict(xTest, [lambda])[0];
            return new FoldOutcome(ProbeMetrics.ForRegression(yTest, predicted), lambda);
        }

        int classes = data.Classes.Count;
        int[] labels = yTrain.Select(v => (int)v).ToArray();
        IReadOnlyList<double> cGrid = LogisticRegression.DefaultGrid;
        var logLoss = new double[cGrid.Count];
        for (int k = 0; k < innerFolds; k++)
        {
            int[] fit = Enumerable.Range(0, train.Length).Where(i => innerFold[i] != k).ToArray();
            int[] held = Enumerable.Range(0, train.Length).Where(i => innerFold[i] == k).ToArray();
            double[][] xFit = fit.Select(i => xTrain[i]).ToArray();
            int[] yFit = fit.Select(i => labels[i]).ToArray();
            LogisticRegression? previous = null;
            for (int g = 0; g < cGrid.Count; g++)
            {
                // C grows along the grid, so each fit starts from the previous, more regularised one.
                previous = LogisticRegression.Fit(xFit, yFit, classes, cGrid[g], previous, cancellationToken);
                foreach (int h in held)
                {
                    logLoss[g] -= Math.Log(Math.Max(previous.Probabilities(xTrain[h])[labels[h]], 1e-15));
                }
            }
        }

        // Ties go to the smaller C: the simpler model.
        int bestC = 0;
        for (int g = 1; g < cGrid.Count; g++)
        {
            if (logLoss[g] < logLoss[bestC])
            {
                bestC = g;
            }
        }

        var model = LogisticRegression.Fit(xTrain, labels, classes, cGrid[bestC], null, cancellationToken);
        int[] predictedClasses = xTest.Select(model.Predict).ToArray();
        return new FoldOutcome(ProbeMetrics.ForClassification(yTest.Select(v => (int)v).ToArray(), predictedClasses), cGrid[bestC]);
    }

    private sealed record FoldOutcome(Dictionary<string, double> Metrics, double Parameter);
}
