using System.Globalization;
using KrSbert.Probe.Statistics;

namespace KrSbert.Probe.Reporting;

/// <summary>
/// An SVG chart of the report: one panel per metric, one row per candidate (best first), a dot at the
/// mean and a bar over the 95% interval; baselines in grey.
/// </summary>
public static class ProbeChart
{
    private const int LabelWidth = 250;
    private const int PanelWidth = 300;
    private const int PanelGap = 30;
    private const int RowHeight = 20;
    private const int Top = 50;
    private const int Bottom = 40;

    /// <summary>Writes the chart.</summary>
    public static void WriteSvg(ProbeReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var inv = CultureInfo.InvariantCulture;
        IReadOnlyList<CandidateResult> rows = report.Candidates;
        int width = LabelWidth + (report.Metrics.Count * (PanelWidth + PanelGap));
        int height = Top + (rows.Count * RowHeight) + Bottom;
        output.WriteLine(string.Create(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">"));
        output.WriteLine(string.Create(inv, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"));
        string title = $"{report.Model}: {(report.Task == ProbeTask.Regression ? "ridge" : "logistic regression")} probes, {report.Folds}-fold x {report.Repeats}, mean and 95% corrected resampled t interval";
        output.WriteLine(string.Create(inv, $"<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{ProbeReportWriter.Escape(title)}</text>"));
        for (int r = 0; r < rows.Count; r++)
        {
            double y = Top + (r * RowHeight) + (RowHeight / 2.0);
            if (r % 2 == 0)
            {
                output.WriteLine(string.Create(inv, $"<rect x=\"0\" y=\"{Top + (r * RowHeight)}\" width=\"{width}\" height=\"{RowHeight}\" fill=\"#f4f4f4\"/>"));
            }

            output.WriteLine(string.Create(inv, $"<text x=\"{LabelWidth - 8}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" fill=\"{(rows[r].IsBaseline ? "#777" : "#000")}\">{ProbeReportWriter.Escape(rows[r].Name)}</text>"));
        }

        for (int m = 0; m < report.Metrics.Count; m++)
        {
            string metric = report.Metrics[m];
            int left = LabelWidth + (m * (PanelWidth + PanelGap));
            var values = rows.Select(c => c.Metrics[metric]).ToList();
            double low = values.Select(v => double.IsFinite(v.Low) ? v.Low : v.Mean).Where(double.IsFinite).DefaultIfEmpty(0).Min();
            double high = values.Select(v => double.IsFinite(v.High) ? v.High : v.Mean).Where(double.IsFinite).DefaultIfEmpty(1).Max();
            if (high - low < 1e-9)
            {
                low -= 0.5;
                high += 0.5;
            }

            double pad = (high - low) * 0.05;
            low -= pad;
            high += pad;
            double X(double v) => left + ((v - low) / (high - low) * PanelWidth);
            int bottom = Top + (rows.Count * RowHeight);
            output.WriteLine(string.Create(inv, $"<text x=\"{left + (PanelWidth / 2)}\" y=\"{Top - 10}\" text-anchor=\"middle\" font-weight=\"bold\">{metric}{(ProbeMetrics.HigherIsBetter(metric) ? " (higher is better)" : " (lower is better)")}</text>"));
            output.WriteLine(string.Create(inv, $"<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{left + PanelWidth}\" y2=\"{bottom}\" stroke=\"#333\"/>"));
            for (int t = 0; t <= 4; t++)
            {
                double v = low + ((high - low) * t / 4);
                double x = X(v);
                output.WriteLine(string.Create(inv, $"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{bottom + 4}\" stroke=\"#ddd\"/>"));
                output.WriteLine(string.Create(inv, $"<text x=\"{x:0.#}\" y=\"{bottom + 18}\" text-anchor=\"middle\" font-size=\"10\">{v:0.###}</text>"));
            }

            for (int r = 0; r < rows.Count; r++)
            {
                IntervalEstimate e = values[r];
                if (!double.IsFinite(e.Mean))
                {
                    continue;
                }

                double y = Top + (r * RowHeight) + (RowHeight / 2.0);
                string colour = rows[r].IsBaseline ? "#999" : "#1f5fa8";
                if (double.IsFinite(e.Low) && double.IsFinite(e.High))
                {
                    output.WriteLine(string.Create(inv, $"<line x1=\"{X(e.Low):0.#}\" y1=\"{y:0.#}\" x2=\"{X(e.High):0.#}\" y2=\"{y:0.#}\" stroke=\"{colour}\" stroke-width=\"3\"/>"));
                }

                output.WriteLine(string.Create(inv, $"<circle cx=\"{X(e.Mean):0.#}\" cy=\"{y:0.#}\" r=\"4\" fill=\"{colour}\"><title>{ProbeReportWriter.Escape(rows[r].Name)} {metric} {e.Mean:0.0000} [{e.Low:0.0000}, {e.High:0.0000}]</title></circle>"));
            }
        }

        output.WriteLine("</svg>");
    }
}
