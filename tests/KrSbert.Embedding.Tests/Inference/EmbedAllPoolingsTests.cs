using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Inference;

public sealed class EmbedAllPoolingsTests
{
    private static readonly string[] s_texts =
    [
        "안녕하세요. 저는 진학사에 다니고 있습니다.",
        "잠이 옵니다",
        "A man is playing a flute.",
        "오늘 서울의 날씨는 맑고 기온은 영하 3도입니다. 내일은 눈이 올 것으로 보입니다.",
        "기차가 옵니다",
    ];

    [Fact]
    public void Every_pooling_from_one_pass_equals_embedding_with_that_pooling_alone()
    {
        SentenceEmbedder embedder = Embedders.MiniLm;
        int reported = 0;

        IReadOnlyList<PooledText> pooled = embedder.EmbedAllPoolings(s_texts, progress: new Progress(v => reported = Math.Max(reported, v)));

        foreach (PoolingMode mode in PoolingModes.All)
        {
            var alone = embedder.Embed(s_texts, new EmbeddingRequest { Pooling = mode, Normalize = false });
            for (int i = 0; i < s_texts.Length; i++)
            {
                float[] expected = alone[i].Vector.ToArray();
                float[] actual = pooled[i].Of(mode).ToArray();
                for (int j = 0; j < expected.Length; j++)
                {
                    Assert.Equal(expected[j], actual[j], 1e-5f);
                }
            }
        }

        Assert.Equal(s_texts.Length, reported);
        Assert.Equal(embedder.Tokenizer.EncodeIds(s_texts[1], out _, embedder.Model.Tokenizer.MaxSequenceLength), pooled[1].InputIds);
        // all-MiniLM-L6-v2's export has no pooler_output: the pooler is absent, not an empty vector.
        Assert.False(embedder.HasPoolerOutput);
        Assert.Null(pooled[0].Pooler);
    }

    [Fact]
    public void A_bad_text_is_refused_with_its_index_and_cancellation_stops_between_batches()
    {
        var e = Assert.Throws<InvalidTextException>(() => Embedders.TinyKrSbert.EmbedAllPoolings(["좋다", "   "]));
        Assert.Equal(1, e.Index);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => Embedders.TinyKrSbert.EmbedAllPoolings(["좋다"], cancellationToken: cancelled.Token));
    }

    private sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
