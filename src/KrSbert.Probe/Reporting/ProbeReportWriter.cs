using System.Globalization;
using System.Text;
using System.Text.Json;
using KrSbert.Probe.Statistics;

namespace KrSbert.Probe.Reporting;

/// <summary>Writes a <see cref="ProbeReport"/> as a terminal table, JSON or CSV.</summary>
public static class ProbeReportWriter
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    /// <summary>The table: one line per candidate, best first, then how the best compares with each other one.</summary>
    public static void WriteTable(ProbeReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        string what = report.Task == ProbeTask.Regression ? "regression (ridge)" : $"classification (logistic regression, {report.Classes.Count} classes)";
        output.WriteLine(string.Create(s_invariant, $"{what} on {report.Rows} {(report.Pairs ? "sentence pairs" : "texts")} ({report.SkippedRows} rows skipped without a label), {report.Texts} distinct texts"));
        output.WriteLine(string.Create(s_invariant, $"model {report.Model} (hidden {report.HiddenSize}), {report.Folds}-fold x {report.Repeats} repeats grouped by text, inner {report.InnerFolds}-fold, seed {report.Seed}; 95% corrected resampled t intervals"));
        string parameter = report.Task == ProbeTask.Regression ? "lambda" : "C";
        var header = new List<string> { "candidate", "dim", parameter };
        header.AddRange(report.Metrics);
        var rows = report.Candidates.Select(c =>
        {
            var cells = new List<string> { c.Name + (c.IsBaseline ? " *" : ""), c.Dimension.ToString(s_invariant), c.Parameter is { } p ? p.ToString("G3", s_invariant) : "-" };
            cells.AddRange(report.Metrics.Select(m => Format(c.Metrics[m])));
            return cells;
        }).ToList();
        int[] widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, i) => i == 0 ? h.PadRight(widths[i]) : h.PadLeft(widths[i]))));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))));
        }

        output.WriteLine("(* baseline)");
        if (report.Candidates.Count > 1)
        {
            string best = report.Candidates[0].Name;
            output.WriteLine($"{best} against each other candidate on {report.PrimaryMetric}:");
            foreach (Comparison comparison in report.Comparisons.Where(c => c.Better == best))
            {
                IntervalEstimate d = comparison.Difference;
                string verdict = comparison.IsSignificant ? "beats" : "is not distinguishable from";
                output.WriteLine(string.Create(s_invariant, $"  {verdict} {comparison.Worse}: by {d.Mean:+0.0000;-0.0000} [{d.Low:+0.0000;-0.0000}, {d.High:+0.0000;-0.0000}] ({FormatP(d.P)})"));
            }
        }

        foreach (string reason in report.Unavailable)
        {
            output.WriteLine($"unavailable: {reason}");
        }

        if (report.TruncatedTexts > 0)
        {
            output.WriteLine(string.Create(s_invariant, $"{report.TruncatedTexts} texts were cut at max_seq_length"));
        }

        output.WriteLine(string.Create(s_invariant, $"embedding {report.EmbeddingSeconds:F1} s, cross-validation {report.ProbeSeconds:F1} s"));
    }

    /// <summary>The whole report as one JSON object, every fold score included.</summary>
    public static void WriteJson(ProbeReport report, Stream output)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("task", report.Task == ProbeTask.Regression ? "regression" : "classification");
        json.WriteString("model", report.Model);
        json.WriteNumber("hidden_size", report.HiddenSize);
        json.WriteNumber("rows", report.Rows);
        json.WriteNumber("skipped_rows", report.SkippedRows);
        json.WriteNumber("texts", report.Texts);
        json.WriteBoolean("pairs", report.Pairs);
        json.WriteNumber("truncated_texts", report.TruncatedTexts);
        json.WriteStartArray("classes");
        foreach (string c in report.Classes)
        {
            json.WriteStringValue(c);
        }

        json.WriteEndArray();
        json.WriteNumber("folds", report.Folds);
        json.WriteNumber("repeats", report.Repeats);
        json.WriteNumber("inner_folds", report.InnerFolds);
        json.WriteNumber("seed", report.Seed);
        json.WriteString("primary_metric", report.PrimaryMetric);
        json.WriteString("interval", "95% corrected resampled t (Nadeau-Bengio)");
        json.WriteNumber("embedding_seconds", Math.Round(report.EmbeddingSeconds, 3));
        json.WriteNumber("probe_seconds", Math.Round(report.ProbeSeconds, 3));
        json.WriteStartArray("unavailable");
        foreach (string reason in report.Unavailable)
        {
            json.WriteStringValue(reason);
        }

        json.WriteEndArray();
        json.WriteStartArray("candidates");
        foreach (CandidateResult c in report.Candidates)
        {
            json.WriteStartObject();
            json.WriteString("name", c.Name);
            json.WriteBoolean("baseline", c.IsBaseline);
            json.WriteNumber("dimension", c.Dimension);
            if (c.ParameterName is { } name && c.Parameter is { } value)
            {
                json.WriteNumber(name, value);
            }

            json.WriteStartObject("metrics");
            foreach (string metric in report.Metrics)
            {
                json.WriteStartObject(metric);
                WriteEstimate(json, c.Metrics[metric], withP: false);
                json.WriteStartArray("folds");
                foreach (double v in c.FoldScores[metric])
                {
                    Number(json, v);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("comparisons");
        foreach (Comparison comparison in report.Comparisons)
        {
            json.WriteStartObject();
            json.WriteString("better", comparison.Better);
            json.WriteString("worse", comparison.Worse);
            json.WriteString("metric", comparison.Metric);
            WriteEstimate(json, comparison.Difference, withP: true);
            json.WriteBoolean("significant", comparison.IsSignificant);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>One CSV line per candidate and metric: name, baseline, dimension, parameter, metric, mean, low, high.</summary>
    public static void WriteCsv(ProbeReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("candidate,baseline,dimension,parameter_name,parameter,metric,mean,low,high");
        foreach (CandidateResult c in report.Candidates)
        {
            foreach (string metric in report.Metrics)
            {
                IntervalEstimate e = c.Metrics[metric];
                output.WriteLine(string.Join(',',
                    Quote(c.Name), c.IsBaseline ? "true" : "false", c.Dimension.ToString(s_invariant), c.ParameterName ?? "",
                    c.Parameter?.ToString("R", s_invariant) ?? "", metric, Csv(e.Mean), Csv(e.Low), Csv(e.High)));
            }
        }
    }

    private static string FormatP(double p) => p < 0.001 ? "p < 0.001" : string.Create(s_invariant, $"p = {p:0.###}");

    private static string Format(IntervalEstimate e) =>
        double.IsNaN(e.Low) ? e.Mean.ToString("0.000", s_invariant) : string.Create(s_invariant, $"{e.Mean:0.000} [{e.Low:0.000}, {e.High:0.000}]");

    private static void WriteEstimate(Utf8JsonWriter json, IntervalEstimate e, bool withP)
    {
        json.WritePropertyName("mean");
        Number(json, e.Mean);
        json.WritePropertyName("low");
        Number(json, e.Low);
        json.WritePropertyName("high");
        Number(json, e.High);
        if (withP)
        {
            json.WritePropertyName("p");
            Number(json, e.P);
        }
    }

    private static void Number(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteNullValue();
        }
    }

    private static string Csv(double value) => double.IsFinite(value) ? value.ToString("R", s_invariant) : "";

    private static string Quote(string text) =>
        text.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;

    internal static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '"' => "&quot;",
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }
}
