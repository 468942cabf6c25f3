using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Inference;

public sealed class PoolerOutputTests
{
    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_graph_with_pooler_output_gives_tanh_of_the_dense_cls_beside_every_pooling()
    {
        using var folder = new PoolerModelFolder();
        using SentenceEmbedder embedder = SentenceEmbedder.LoadFolder(folder.Path, new EmbedderOptions { BatchSize = 2 });
        string[] texts = ["좋은 아침입니다", "잠이 옵니다", "오늘 서울의 날씨는 맑고 기온은 영하 3도입니다."];

        IReadOnlyList<PooledText> pooled = embedder.EmbedAllPoolings(texts);

        Assert.True(embedder.HasPoolerOutput);
        foreach (PooledText text in pooled)
        {
            Assert.NotNull(text.Pooler);
            float[] expected = folder.Expected(text.Of(PoolingMode.Cls));
            float[] actual = text.Pooler.Value.ToArray();
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.Equal(expected[j], actual[j], 1e-5f);
            }
        }

        // The extra output changes nothing for ordinary embedding.
        var plain = Embedders.TinyKrSbert.Embed(texts);
        var withHead = embedder.Embed(texts);
        Assert.Equal(plain[2].Vector.ToArray(), withHead[2].Vector.ToArray());
    }
}
