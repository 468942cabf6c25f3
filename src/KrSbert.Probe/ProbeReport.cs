using KrSbert.Probe.Statistics;

namespace KrSbert.Probe;

/// <summary>Everything a probe run found, ready to print or serialise.</summary>
public sealed class ProbeReport
{
    /// <summary>Regression or classification.</summary>
    public required ProbeTask Task { get; init; }

    /// <summary>The metric that ranks candidates and that the comparisons use (R² or accuracy).</summary>
    public required string PrimaryMetric { get; init; }

    /// <summary>The metrics reported for every candidate, in order.</summary>
    public required IReadOnlyList<string> Metrics { get; init; }

    /// <summary>Rows used.</summary>
    public required int Rows { get; init; }

    /// <summary>Rows skipped for a missing label.</summary>
    public required int SkippedRows { get; init; }

    /// <summary>Distinct texts embedded.</summary>
    public required int Texts { get; init; }

    /// <summary>Whether rows are sentence pairs.</summary>
    public required bool Pairs { get; init; }

    /// <summary>Class names (classification).</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>Outer folds.</summary>
    public required int Folds { get; init; }

    /// <summary>Repeats of the k-fold split.</summary>
    public required int Repeats { get; init; }

    /// <summary>Inner folds for λ or C.</summary>
    public required int InnerFolds { get; init; }

    /// <summary>Seed of the splits.</summary>
    public required int Seed { get; init; }

    /// <summary>Candidates, best first by the primary metric.</summary>
    public required IReadOnlyList<CandidateResult> Candidates { get; init; }

    /// <summary>Every pair of candidates on the primary metric, the better one first.</summary>
    public required IReadOnlyList<Comparison> Comparisons { get; init; }

    /// <summary>Poolings asked for that the model cannot give, with the reason.</summary>
    public IReadOnlyList<string> Unavailable { get; init; } = [];

    /// <summary>The model's name.</summary>
    public string Model { get; init; } = "";

    /// <summary>The model's hidden size.</summary>
    public int HiddenSize { get; init; }

    /// <summary>Texts cut at max_seq_length.</summary>
    public int TruncatedTexts { get; init; }

    /// <summary>Seconds spent embedding.</summary>
    public double EmbeddingSeconds { get; init; }

    /// <summary>Seconds spent cross-validating.</summary>
    public double ProbeSeconds { get; init; }
}

/// <summary>One candidate's scores over the repeated folds.</summary>
public sealed class CandidateResult
{
    /// <summary>The pooling or baseline name.</summary>
    public required string Name { get; init; }

    /// <summary>Whether it is a baseline.</summary>
    public required bool IsBaseline { get; init; }

    /// <summary>Feature width.</summary>
    public required int Dimension { get; init; }

    /// <summary>"lambda" for ridge, "C" for logistic regression, null for the constant baseline.</summary>
    public string? ParameterName { get; init; }

    /// <summary>The median over outer folds of the chosen λ or C.</summary>
    public double? Parameter { get; init; }

    /// <summary>Each metric's mean over folds with its 95% corrected resampled t interval.</summary>
    public required IReadOnlyDictionary<string, IntervalEstimate> Metrics { get; init; }

    /// <summary>Each metric's value on every outer fold, repeat after repeat.</summary>
    public required IReadOnlyDictionary<string, double[]> FoldScores { get; init; }
}

/// <summary>"Better beats Worse by Delta [Low, High]" on one metric, from paired per-fold differences.</summary>
/// <param name="Better">The candidate with the better mean.</param>
/// <param name="Worse">The other one.</param>
/// <param name="Metric">The metric compared.</param>
/// <param name="Difference">The improvement (positive: Better is better) with its corrected interval and p-value.</param>
public sealed record Comparison(string Better, string Worse, string Metric, IntervalEstimate Difference)
{
    /// <summary>Whether the 95% interval of the improvement excludes zero.</summary>
    public bool IsSignificant => Difference.Low > 0 || Difference.High < 0;
}
