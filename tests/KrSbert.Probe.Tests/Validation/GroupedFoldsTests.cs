using KrSbert.Probe.Data;
using KrSbert.Probe.Validation;

namespace KrSbert.Probe.Tests.Validation;

public sealed class GroupedFoldsTests
{
    [Fact]
    public void No_text_is_ever_on_both_sides_of_a_split_of_pairs()
    {
        // Premises repeat across hypotheses (as in XNLI) and some hypotheses repeat too, chaining rows together.
        var random = new Random(5);
        var rows = new List<ProbeExample>();
        for (int i = 0; i < 300; i++)
        {
            rows.Add(new ProbeExample(i + 2, $"premise {i / 3}", $"hypothesis {random.Next(2000)}", (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var data = ProbeDataset.Create(rows, ProbeTask.Classification, pairs: true);

        var splits = ProbeEvaluator.Splits(data, new ProbeOptions { Folds = 5, Repeats = 3, Seed = 9 });

        Assert.Equal(15, splits.Count);
        foreach ((int[] train, int[] test) in splits)
        {
            var trainTexts = train.SelectMany(i => new[] { data.FirstText[i], data.SecondText![i] }).ToHashSet();
            var testTexts = test.SelectMany(i => new[] { data.FirstText[i], data.SecondText![i] }).ToHashSet();
            Assert.Empty(trainTexts.Intersect(testTexts));
            Assert.Equal(data.Count, train.Length + test.Length);
            Assert.NotEmpty(test);
        }
    }

    [Fact]
    public void A_repeated_single_text_stays_in_one_fold_and_classes_are_stratified()
    {
        var rows = Enumerable.Range(0, 400).Select(i => new ProbeExample(i + 1, $"text {i % 150}", null, i % 4 == 0 ? "rare" : "common")).ToList();
        var data = ProbeDataset.Create(rows, ProbeTask.Classification, pairs: false);

        var splits = ProbeEvaluator.Splits(data, new ProbeOptions { Folds = 4, Repeats = 2 });

        foreach ((int[] train, int[] test) in splits)
        {
            Assert.Empty(train.Select(i => data.FirstText[i]).Intersect(test.Select(i => data.FirstText[i])));
            double rareShare = test.Count(i => data.Classes[(int)data.Targets[i]] == "rare") / (double)test.Length;
            Assert.InRange(rareShare, 0.15, 0.35);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_splits_and_another_seed_other_ones()
    {
        var rows = Enumerable.Range(0, 100).Select(i => new ProbeExample(i + 1, $"text {i}", null, (i % 7).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var data = ProbeDataset.Create(rows, ProbeTask.Regression, pairs: false);

        var a = ProbeEvaluator.Splits(data, new ProbeOptions { Folds = 5, Repeats = 1, Seed = 1 });
        var b = ProbeEvaluator.Splits(data, new ProbeOptions { Folds = 5, Repeats = 1, Seed = 1 });
        var c = ProbeEvaluator.Splits(data, new ProbeOptions { Folds = 5, Repeats = 1, Seed = 2 });

        Assert.Equal(a.Select(s => s.Test), b.Select(s => s.Test));
        Assert.NotEqual(a.Select(s => s.Test), c.Select(s => s.Test));
    }
}
