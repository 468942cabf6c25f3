using System.Globalization;

namespace KrSbert.Cli.Tests;

public class BenchIndexCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Bench_index_reports_filtered_recall_at_three_pass_rates_beside_the_unfiltered_and_no_short_result()
    {
        // With the byte threshold off the half-passing filter takes the graph at ef 16 on 6,000 vectors.
        var result = await KrSbertProcess.RunAsync(null, "bench", "index", "--count", "6000", "--dimensions", "16", "--queries", "30", "--ef", "16,64", "--full-scan-threshold-bytes", "0").WaitAsync(Timeout);

        Assert.True(result.ExitCode == 0, result.Error);
        // pass rate, matching, ef_search, recall@10, unfiltered, queries/s, scans, graph, short
        var rows = result.Output.Split('\n')
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(cells => cells.Length == 10 && cells[1] == "%")
            .Select(cells => (Rate: cells[0], Ef: int.Parse(cells[3], CultureInfo.InvariantCulture), Recall: double.Parse(cells[4], CultureInfo.InvariantCulture), Unfiltered: double.Parse(cells[5], CultureInfo.InvariantCulture), Scans: int.Parse(cells[7], CultureInfo.InvariantCulture), Graph: int.Parse(cells[8], CultureInfo.InvariantCulture), Short: int.Parse(cells[9], CultureInfo.InvariantCulture)))
            .ToList();

        Assert.Equal(["50", "50", "10", "10", "1", "1"], rows.Select(r => r.Rate));
        Assert.All(rows, r => Assert.Equal(0, r.Short));
        Assert.All(rows, r => Assert.Equal(30, r.Scans + r.Graph));
        Assert.All(rows, r => Assert.InRange(r.Recall, 0.0, 1.0));
        Assert.Equal(30, rows[0].Graph);
        // The selective filters are scanned: exact but for float rounding between native and managed scores.
        Assert.All(rows.Skip(2), r => Assert.InRange(r.Recall, 0.99, 1.0));
    }

    [Fact]
    public async Task A_negative_full_scan_threshold_is_exit_code_2_naming_the_option()
    {
        var result = await KrSbertProcess.RunAsync(null, "bench", "index", "--count", "100", "--dimensions", "8", "--full-scan-threshold-bytes", "-1").WaitAsync(Timeout);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("FullScanThresholdBytes", result.Error, StringComparison.Ordinal);
    }
}
