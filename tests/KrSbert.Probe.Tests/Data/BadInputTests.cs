using System.Globalization;
using KrSbert.Probe.Data;
using KrSbert.Probe.Features;

namespace KrSbert.Probe.Tests.Data;

public sealed class BadInputTests
{
    private static List<ProbeExample> Rows(int count, Func<int, string?> label) =>
        Enumerable.Range(0, count).Select(i => new ProbeExample(i + 2, $"text {i}", null, label(i))).ToList();

    [Fact]
    public void Rows_without_a_label_are_skipped_and_counted()
    {
        var data = ProbeDataset.Create(Rows(50, i => i % 5 == 0 ? (i % 10 == 0 ? null : "  ") : (i * 0.5).ToString(CultureInfo.InvariantCulture)), ProbeTask.Regression, pairs: false);

        Assert.Equal(40, data.Count);
        Assert.Equal(10, data.SkippedRows);
        Assert.DoesNotContain(data.Lines, line => (line - 2) % 5 == 0);
    }

    [Fact]
    public void Too_few_labelled_rows_is_an_error_that_counts_the_skipped_ones()
    {
        var e = Assert.Throws<ProbeInputException>(() => ProbeDataset.Create(Rows(30, i => i < 15 ? "1" : null), ProbeTask.Regression, pairs: false, minimumRows: 20));

        Assert.Contains("only 15 rows have a label (15 skipped", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_numeric_regression_label_is_an_error_naming_its_line()
    {
        var rows = Rows(30, i => i == 7 ? "high" : "1.5");

        var e = Assert.Throws<ProbeInputException>(() => ProbeDataset.Create(rows, ProbeTask.Regression, pairs: false));

        Assert.StartsWith("line 9: label 'high' is not a number", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void A_non_finite_regression_label_is_refused(string label)
    {
        var e = Assert.Throws<ProbeInputException>(() => ProbeDataset.Create(Rows(30, i => i == 3 ? label : "2"), ProbeTask.Regression, pairs: false));

        Assert.StartsWith("line 5:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_class_is_an_error()
    {
        var e = Assert.Throws<ProbeInputException>(() => ProbeDataset.Create(Rows(30, _ => "positive"), ProbeTask.Classification, pairs: false));

        Assert.Contains("at least two classes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_constant_regression_label_is_an_error()
    {
        var e = Assert.Throws<ProbeInputException>(() => ProbeDataset.Create(Rows(30, _ => "3"), ProbeTask.Regression, pairs: false));

        Assert.Contains("labels that vary", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fewer_texts_than_folds_is_an_error()
    {
        // 30 rows but only 8 distinct texts: grouping by text leaves 8 groups for 10 folds.
        var rows = Enumerable.Range(0, 30).Select(i => new ProbeExample(i + 1, $"text {i % 8}", null, (i % 3).ToString(CultureInfo.InvariantCulture))).ToList();
        var data = ProbeDataset.Create(rows, ProbeTask.Regression, pairs: false);

        var e = Assert.Throws<ProbeInputException>(() => ProbeEvaluator.Splits(data, new ProbeOptions { Folds = 10 }));

        Assert.Contains("only 8 independent groups", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mean,avg")]
    [InlineData("cls+median")]
    [InlineData(",")]
    public void An_unknown_pooling_is_an_error(string list)
    {
        var e = Assert.Throws<ProbeInputException>(() => PoolingChoice.ParseList(list));

        Assert.StartsWith("--pooling", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pooling_lists_parse_concatenations_and_the_pooler()
    {
        var choices = PoolingChoice.ParseList("mean, max+cls ,pooler,mean");

        Assert.Equal(["mean", "cls+max", "pooler"], choices.Select(c => c.Name));
        Assert.True(choices[2].IsPooler);
    }

    [Fact]
    public void An_empty_pair_text_is_an_error_naming_its_line()
    {
        var rows = Enumerable.Range(0, 30).Select(i => new ProbeExample(i + 2, $"a {i}", i == 4 ? "" : $"b {i}", "1")).ToList();

        var e = Assert.Throws<ProbeInputException>(() => ProbeDataset.Create(rows, ProbeTask.Classification, pairs: true));

        Assert.StartsWith("line 6: the pair text is empty", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 3, 5)]
    [InlineData(10, 0, 5)]
    [InlineData(10, 3, 1)]
    public void Fold_counts_out_of_range_are_errors(int folds, int repeats, int inner)
    {
        Assert.Throws<ProbeInputException>(() => new ProbeOptions { Folds = folds, Repeats = repeats, InnerFolds = inner }.Validate());
    }

    [Fact]
    public void Too_few_texts_for_the_inner_folds_is_an_input_error_not_a_crash()
    {
        // 2 outer folds of 4 texts leave 2 texts per training fold: too few for 3 inner folds.
        var rows = Enumerable.Range(0, 20).Select(i => new ProbeExample(i + 1, $"text {i % 4}", null, (i % 4).ToString(CultureInfo.InvariantCulture))).ToList();
        var data = ProbeDataset.Create(rows, ProbeTask.Regression, pairs: false);
        var candidate = new ProbeCandidate("x", false, data.FirstText.Select(t => new double[] { t, t * t }).ToArray());

        var e = Assert.Throws<ProbeInputException>(() => ProbeEvaluator.Evaluate(data, [candidate], new ProbeOptions { Folds = 2, Repeats = 1, InnerFolds = 3 }));

        Assert.Contains("3 folds", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancelled_evaluation_throws_operation_cancelled()
    {
        var rows = Enumerable.Range(0, 40).Select(i => new ProbeExample(i + 1, $"text {i}", null, (i % 4).ToString(CultureInfo.InvariantCulture))).ToList();
        var data = ProbeDataset.Create(rows, ProbeTask.Regression, pairs: false);
        var candidate = new ProbeCandidate("x", false, data.FirstText.Select(t => new double[] { t, t * t }).ToArray());
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => ProbeEvaluator.Evaluate(data, [candidate], new ProbeOptions { Folds = 4, Repeats = 1 }, cancellationToken: cancelled.Token));
    }
}
