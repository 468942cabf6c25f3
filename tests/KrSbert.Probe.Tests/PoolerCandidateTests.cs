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

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_text_the_model_refuses_is_an_error_naming_its_line()
    {
        using SentenceEmbedder embedder = SentenceEmbedder.LoadFolder(SharedFolder.PathOf(TestModels.TinyRandomFolder), new EmbedderOptions { MaxTextLength = 50 });
        var rows = Enumerable.Range(0, 30).Select(i => new ProbeExample(i + 2, i == 17 ? new string('가', 60) : $"문장 {i}", $"짝 {i}", (i % 3).ToString(CultureInfo.InvariantCulture))).ToList();
        var data = ProbeDataset.Create(rows, ProbeTask.Classification, pairs: true);

        var e = Assert.Throws<ProbeInputException>(() => ProbeRunner.Run(embedder, data, PoolingChoice.ParseList("mean"), new ProbeOptions { Folds = 3, Repeats = 1 }));

        Assert.StartsWith("line 19: a text has 60 characters", e.Message, StringComparison.Ordinal);
    }
}
