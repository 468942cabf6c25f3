using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Probe.Data;
using KrSbert.Probe.Features;

namespace KrSbert.Probe.Tests;

/// <summary>
/// Labels built from one pooling's vector with a known share of noise: the probe must recover the R² that
/// theory gives and rank that pooling first. The tiny random model's CLS and mean vectors are nearly
/// collinear, while max pooling separates clearly, so the signal lives in the max vector.
/// </summary>
public sealed class KnownSignalTests
{
    private const double NoiseShare = 0.3;

    private static readonly string[] s_words =
    [
        "하늘", "바다", "학교", "친구", "사과", "기차", "도서관", "음악", "커피", "고양이", "강아지", "자전거", "시장", "병원", "공원", "영화",
        "노래", "편지", "우산", "겨울", "여름", "아침", "저녁", "회사", "가방", "신발", "컴퓨터", "전화", "사진", "그림", "나무", "꽃",
        "먹었다", "보았다", "샀다", "갔다", "만났다", "읽었다", "썼다", "들었다", "좋아한다", "기다린다",
    ];

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_label_made_from_max_pooling_is_recovered_with_the_theoretical_r2_and_max_wins()
    {
        (ProbeDataset data, IReadOnlyList<PooledText> pooled) = Build(1500, seed: 11, classification: false);

        var candidates = CandidateBuilder.Build(data, pooled, PoolingChoice.ParseList("mean,cls,max,pooler"), out var unavailable);
        var report = ProbeEvaluator.Evaluate(data, candidates, new ProbeOptions { Folds = 5, Repeats = 1 });

        Assert.Equal("max", report.Candidates[0].Name);
        Assert.InRange(report.Candidates[0].Metrics["r2"].Mean, 1 - NoiseShare - 0.02, 1 - NoiseShare + 0.02);
        foreach (string other in new[] { "cls", "mean" })
        {
            var comparison = Assert.Single(report.Comparisons, c => c.Better == "max" && c.Worse == other);
            Assert.True(comparison.IsSignificant, $"max against {other}: {comparison.Difference}");
        }

        // The tiny model's graph has no pooler_output, so the pooler is reported, not silently dropped.
        Assert.Contains(unavailable, u => u.StartsWith("pooler:", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Candidates, c => c.Name == "pooler");
        Assert.Null(pooled[0].Pooler);
        Assert.Contains(report.Candidates, c => c.Name == "mean label" && c.IsBaseline);
        Assert.Contains(report.Candidates, c => c.Name == "tf-idf" && c.IsBaseline);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_class_made_from_max_pooling_is_found_by_logistic_regression_and_max_wins()
    {
        (ProbeDataset data, IReadOnlyList<PooledText> pooled) = Build(500, seed: 12, classification: true);

        var candidates = CandidateBuilder.Build(data, pooled, PoolingChoice.ParseList("mean,max"), out _);
        var report = ProbeEvaluator.Evaluate(data, candidates, new ProbeOptions { Folds = 3, Repeats = 1, InnerFolds = 3 });

        Assert.Equal("max", report.Candidates[0].Name);
        Assert.True(report.Candidates[0].Metrics["accuracy"].Mean > 0.75, $"accuracy {report.Candidates[0].Metrics["accuracy"].Mean}");
        var majority = report.Candidates.Single(c => c.Name == "majority class");
        Assert.InRange(majority.Metrics["accuracy"].Mean, 0.4, 0.6);
    }

    private static (ProbeDataset Data, IReadOnlyList<PooledText> Pooled) Build(int count, int seed, bool classification)
    {
        var random = new Random(seed);
        var texts = new HashSet<string>(StringComparer.Ordinal);
        while (texts.Count < count)
        {
            texts.Add(string.Join(' ', Enumerable.Range(0, random.Next(3, 9)).Select(_ => s_words[random.Next(s_words.Length)])));
        }

        string[] list = [.. texts];
        IReadOnlyList<PooledText> pooled = Embedders.TinyKrSbert.EmbedAllPoolings(list);
        // Signal: a random direction of the standardised max vector, scaled to unit variance; noise to NoiseShare.
        int hidden = pooled[0].HiddenSize;
        double[][] max = pooled.Select(p => p.Of(PoolingMode.Max).ToArray().Select(v => (double)v).ToArray()).ToArray();
        double[] mean = Enumerable.Range(0, hidden).Select(j => max.Average(r => r[j])).ToArray();
        double[] sd = Enumerable.Range(0, hidden).Select(j => Math.Sqrt(max.Average(r => (r[j] - mean[j]) * (r[j] - mean[j])))).ToArray();
        double[] direction = Enumerable.Range(0, hidden).Select(_ => Gaussian(random)).ToArray();
        double[] signal = max.Select(r => r.Select((v, j) => (v - mean[j]) / sd[j] * direction[j]).Sum()).ToArray();
        Standardise(signal);
        double[] noise = signal.Select(_ => Gaussian(random)).ToArray();
        Standardise(noise);
        double[] label = signal.Zip(noise, (s, e) => (Math.Sqrt(1 - NoiseShare) * s) + (Math.Sqrt(NoiseShare) * e)).ToArray();
        var rows = list.Select((t, i) => new ProbeExample(i + 1, t, null, classification
            ? (signal[i] > 0 ? "up" : "down")
            : label[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var data = ProbeDataset.Create(rows, classification ? ProbeTask.Classification : ProbeTask.Regression, pairs: false);
        return (data, pooled);
    }

    private static void Standardise(double[] values)
    {
        double mean = values.Average();
        double sd = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (values[i] - mean) / sd;
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
