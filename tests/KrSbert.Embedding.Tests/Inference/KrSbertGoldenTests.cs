using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Inference;

/// <summary>The notebook's figures for the real KR-SBERT, checked when KRSBERT_MODEL_DIR names an export.</summary>
public class KrSbertGoldenTests
{
    private static readonly Lazy<SentenceEmbedder> s_real = new(() =>
        SentenceEmbedder.LoadFolder(Environment.GetEnvironmentVariable(RealKrSbertFactAttribute.Variable)!));

    [RealKrSbertFact]
    public void Seed_sentence_cls_token_embedding_equals_the_notebook()
    {
        var tokens = s_real.Value.EmbedTokens("안녕하세요. 저는 진학사에 다니고 있습니다.");

        float[] first = [-2.0831f, 1.5027f, 0.3664f, -0.9721f, -0.5213f, -0.7787f, -0.1496f, -0.0293f, 1.0156f, 1.2694f];
        float[] middle = [0.2522f, 0.4800f, 0.5320f, 0.4377f, 0.3840f, -0.4570f, 0.4511f, -1.4776f, 0.6831f, -1.8406f];
        ReadOnlySpan<float> cls = tokens[0];
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(first[i], cls[i], 1e-3f);
            Assert.Equal(middle[i], cls[345 + i], 1e-3f);
        }
    }

    [RealKrSbertFact]
    public void Mean_pooled_similarities_equal_the_notebook()
    {
        var v = s_real.Value.Embed(["잠이 옵니다", "졸음이 옵니다", "기차가 옵니다"]);

        Assert.Equal(0.6577f, Embedders.Cosine(v[0].Vector, v[1].Vector), 1e-3f);
        Assert.Equal(0.2732f, Embedders.Cosine(v[0].Vector, v[2].Vector), 1e-3f);
        Assert.Equal(0.2730f, Embedders.Cosine(v[1].Vector, v[2].Vector), 1e-3f);
    }
}
