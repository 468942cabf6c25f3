using System.Diagnostics;
using KrSbert.Embedding;
using KrSbert.Probe.Data;
using KrSbert.Probe.Features;

namespace KrSbert.Probe;

/// <summary>The whole probe: one forward pass per distinct text, every candidate built from it, then cross-validation.</summary>
public static class ProbeRunner
{
    /// <summary>Embeds the dataset's texts and evaluates every requested pooling and the baselines.</summary>
    /// <exception cref="ProbeInputException">A text cannot be embedded, or the data cannot fill the folds.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static ProbeReport Run(SentenceEmbedder embedder, ProbeDataset data, IReadOnlyList<PoolingChoice> poolings, ProbeOptions options, int? maxSequenceLength = null, IProgress<ProbeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // Fail on the folds before spending minutes on the forward pass.
        _ = ProbeEvaluator.Splits(data, options);
        long start = Stopwatch.GetTimestamp();
        IReadOnlyList<PooledText> pooled;
        try
        {
            int total = data.Texts.Count;
            progress?.Report(new ProbeProgress("embed", 0, total));
            pooled = embedder.EmbedAllPoolings(data.Texts, maxSequenceLength, progress is null ? null : new Progress(progress, total), cancellationToken);
        }
        catch (InvalidTextException e)
        {
            int row = Enumerable.Range(0, data.Count).First(i => data.FirstText[i] == e.Index || (data.SecondText is { } s && s[i] == e.Index));
            throw new ProbeInputException($"line {data.Lines[row]}: a text {e.Reason}", e);
        }

        double embedding = Stopwatch.GetElapsedTime(start).TotalSeconds;
        IReadOnlyList<ProbeCandidate> candidates = CandidateBuilder.Build(data, pooled, poolings, out IReadOnlyList<string> unavailable);
        start = Stopwatch.GetTimestamp();
        ProbeReport report = ProbeEvaluator.Evaluate(data, candidates, options, progress, cancellationToken);
        return new ProbeReport
        {
            Task = report.Task,
            PrimaryMetric = report.PrimaryMetric,
            Metrics = report.Metrics,
            Rows = report.Rows,
            SkippedRows = report.SkippedRows,
            Texts = report.Texts,
            Pairs = report.Pairs,
            Classes = report.Classes,
            Folds = report.Folds,
            Repeats = report.Repeats,
            InnerFolds = report.InnerFolds,
            Seed = report.Seed,
            Candidates = report.Candidates,
            Comparisons = report.Comparisons,
            Unavailable = unavailable,
            Model = embedder.Model.Name,
            HiddenSize = embedder.Model.HiddenSize,
            TruncatedTexts = pooled.Count(p => p.Truncated),
            EmbeddingSeconds = embedding,
            ProbeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds,
        };
    }

    private sealed class Progress(IProgress<ProbeProgress> target, int total) : IProgress<int>
    {
        public void Report(int value) => target.Report(new ProbeProgress("embed", value, total));
    }
}
