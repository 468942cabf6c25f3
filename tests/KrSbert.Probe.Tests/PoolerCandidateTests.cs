using System.Globalization;
using KrSbert.Embedding;
using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Probe.Data;
using KrSbert.Probe.Features;

namespace KrSbert.Probe.Tests;

public sealed class PoolerCandidateTests
{
    [SharedFact(TestModels.TinyRandomFolder)]
    public void The_pooler_output_is_probed_beside_cls_when_the_graph_has_it()
    {
        using var folder = new PoolerModelFolder();
        using SentenceEmbedder embedder = SentenceEmbedder.LoadFolder(folder.Path);
        var rows = Enumerable.Range(0, 40).Select(i => new ProbeExample(i + 1, $"문장 {i} 번째 예시", null, (i % 5).ToString(CultureInfo.InvariantCulture))).ToList();
        var data = ProbeDataset.Create(rows, ProbeTask.Regression, pairs: false);

        var report = ProbeRunner.Run(embedder, data, PoolingChoice.ParseList("cls,pooler"), new ProbeOptions { Folds = 4, Repeats = 1, InnerFolds = 3 });

        Assert.Empty(report.Unavailable);
        var pooler = Assert.Single(report.Candidates, c => c.Name == "pooler");
        Assert.Equal(32, pooler.Dimension);
        Assert.False(pooler.IsBaseline);
        Assert.Equal("lambda", pooler.ParameterName);
        Assert.Equal(40, report.Texts);
    }
}
