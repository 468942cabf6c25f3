using System.Globalization;

namespace KrSbert.Probe.Data;

/// <summary>
/// Rows with a usable label, their distinct texts (each embedded once) and numeric targets: the label
/// itself for regression, the class index for classification.
/// </summary>
public sealed class ProbeDataset
{
    private ProbeDataset(ProbeTask task, string[] texts, int[] first, int[]? second, double[] targets, string[] classes, int skipped, long[] lines)
    {
        Task = task;
        Texts = texts;
        FirstText = first;
        SecondText = second;
        Targets = targets;
        Classes = classes;
        SkippedRows = skipped;
        Lines = lines;
    }

    /// <summary>Regression or classification.</summary>
    public ProbeTask Task { get; }

    /// <summary>Every distinct text, in order of first appearance.</summary>
    public IReadOnlyList<string> Texts { get; }

    /// <summary>For each row, the index of its text in <see cref="Texts"/>.</summary>
    public IReadOnlyList<int> FirstText { get; }

    /// <summary>For each row of a pair dataset, the index of its second text; null for single texts.</summary>
    public IReadOnlyList<int>? SecondText { get; }

    /// <summary>Whether rows are sentence pairs.</summary>
    public bool IsPairs => SecondText is not null;

    /// <summary>The label of each row (regression) or its index in <see cref="Classes"/> (classification).</summary>
    public IReadOnlyList<double> Targets { get; }

    /// <summary>Class names in ordinal order (empty for regression).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Rows left out because their label was missing or empty.</summary>
    public int SkippedRows { get; }

    /// <summary>Where each row came from.</summary>
    public IReadOnlyList<long> Lines { get; }

    /// <summary>Number of rows used.</summary>
    public int Count => Targets.Count;

    /// <summary>Validates rows and builds the dataset.</summary>
    /// <param name="rows">The input rows.</param>
    /// <param name="task">Regression or classification.</param>
    /// <param name="pairs">Whether every row must carry a pair partner.</param>
    /// <param name="minimumRows">Fewest labelled rows worth probing.</param>
    /// <exception cref="ProbeInputException">A text or pair is empty, a regression label is not a number, too few rows are labelled, or one class only.</exception>
    public static ProbeDataset Create(IEnumerable<ProbeExample> rows, ProbeTask task, bool pairs, int minimumRows = 20)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var textIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var texts = new List<string>();
        var first = new List<int>();
        var second = new List<int>();
        var rawLabels = new List<string>();
        var targets = new List<double>();
        var lines = new List<long>();
        int skipped = 0;

        int IndexOf(string text)
        {
            if (!textIndex.TryGetValue(text, out int index))
            {
                index = texts.Count;
                textIndex.Add(text, index);
                texts.Add(text);
            }

            return index;
        }

        foreach (ProbeExample row in rows)
        {
            if (string.IsNullOrWhiteSpace(row.Label))
            {
                skipped++;
                continue;
            }

            if (string.IsNullOrWhiteSpace(row.Text))
            {
                throw new ProbeInputException($"line {row.Line}: the text is empty");
            }

            if (pairs && string.IsNullOrWhiteSpace(row.Pair))
            {
                throw new ProbeInputException($"line {row.Line}: the pair text is empty");
            }

            string label = row.Label.Trim();
            if (task == ProbeTask.Regression)
            {
                if (!double.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                {
                    throw new ProbeInputException($"line {row.Line}: label '{label}' is not a number (--task regression needs numeric labels)");
                }

                targets.Add(value);
            }

            rawLabels.Add(label);
            first.Add(IndexOf(row.Text));
            if (pairs)
            {
                second.Add(IndexOf(row.Pair!));
            }

            lines.Add(row.Line);
        }

        if (rawLabels.Count < minimumRows)
        {
            throw new ProbeInputException($"only {rawLabels.Count} rows have a label ({skipped} skipped without one); the probe needs at least {minimumRows}");
        }

        string[] classes = [];
        if (task == ProbeTask.Classification)
        {
            classes = rawLabels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (classes.Length < 2)
            {
                throw new ProbeInputException($"every labelled row has the class '{classes[0]}': classification needs at least two classes");
            }

            var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
            targets.AddRange(rawLabels.Select(l => (double)classIndex[l]));
        }
        else if (targets.Distinct().Count() < 2)
        {
            throw new ProbeInputException($"every labelled row has the value {targets[0].ToString(CultureInfo.InvariantCulture)}: regression needs labels that vary");
        }

        return new ProbeDataset(task, [.. texts], [.. first], pairs ? [.. second] : null, [.. targets], classes, skipped, [.. lines]);
    }
}
