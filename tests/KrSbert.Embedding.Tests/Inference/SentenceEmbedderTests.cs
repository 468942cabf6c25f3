using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Inference;

public class SentenceEmbedderTests
{
    private static readonly string[] s_english =
    [
        "A man is playing a flute.",
        "Someone plays the flute.",
        "The stock market fell sharply today.",
        "Share prices dropped steeply this afternoon.",
        "A cat sleeps on the sofa.",
        "The weather in Seoul is cold in winter, with snow falling on most days of January and February.",
        "Hi",
    ];

    [Fact]
    public void Minilm_puts_paraphrases_closer_than_unrelated_sentences()
    {
        var vectors = Embedders.MiniLm.Embed(s_english);

        float flute = Embedders.Cosine(vectors[0].Vector, vectors[1].Vector);
        float market = Embedders.Cosine(vectors[2].Vector, vectors[3].Vector);
        float unrelated = Embedders.Cosine(vectors[0].Vector, vectors[2].Vector);

        Assert.True(flute > 0.7f, $"flute paraphrases: {flute}");
        Assert.True(market > 0.6f, $"market paraphrases: {market}");
        Assert.True(unrelated < 0.2f, $"unrelated: {unrelated}");
    }

    [Fact]
    public void Minilm_vectors_are_384_wide_and_unit_length_by_default()
    {
        var vector = Embedders.MiniLm.Embed(["A man is playing a flute."])[0];

        Assert.Equal(384, vector.Vector.Length);
        Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(vector.Vector), 4);
        Assert.Equal(9, vector.TokenCount);
        Assert.False(vector.Truncated);
    }

    [Fact]
    public void A_text_gets_the_same_vector_alone_and_at_any_position_of_any_batch()
    {
        var alone = s_english.Select(t => Embedders.MiniLm.Embed([t])[0].Vector).ToArray();
        var rotations = Enumerable.Range(0, s_english.Length)
            .Select(shift => s_english.Skip(shift).Concat(s_english.Take(shift)).ToArray());

        foreach (string[] batch in rotations)
        {
            var vectors = Embedders.MiniLm.Embed(batch, new EmbeddingRequest { Pooling = PoolingMode.Cls | PoolingMode.Mean | PoolingMode.Max, Normalize = false });
            var single = batch.Select(t => Embedders.MiniLm.Embed([t], new EmbeddingRequest { Pooling = PoolingMode.Cls | PoolingMode.Mean | PoolingMode.Max, Normalize = false })[0].Vector).ToArray();
            for (int i = 0; i < batch.Length; i++)
            {
                float difference = MaxAbsoluteDifference(vectors[i].Vector, single[i]);
                Assert.True(difference < 1e-5f, $"'{batch[i]}' differs by {difference} in a batch");
            }
        }

        Assert.Equal(s_english.Length, alone.Length);
    }

    [Fact]
    public async Task Eight_concurrent_callers_get_identical_results()
    {
        var expected = Embedders.MiniLm.Embed(s_english);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Embedders.MiniLm.EmbedAsync(s_english)));

        foreach (var result in results)
        {
            for (int i = 0; i < s_english.Length; i++)
            {
                Assert.True(MaxAbsoluteDifference(expected[i].Vector, result[i].Vector) < 1e-5f);
            }
        }
    }

    [Fact]
    public void Pooling_and_normalisation_can_be_chosen_per_call()
    {
        var request = new EmbeddingRequest { Pooling = PoolingMode.Cls | PoolingMode.MeanSqrtLen, Normalize = false };

        var vector = Embedders.MiniLm.Embed(["A man is playing a flute."], request)[0];

        Assert.Equal(768, vector.Vector.Length);
        Assert.NotEqual(1f, System.Numerics.Tensors.TensorPrimitives.Norm(vector.Vector), 3);
        Assert.Equal(768, Embedders.MiniLm.DimensionOf(request.Pooling));
    }

    [Fact]
    public void Texts_longer_than_max_seq_length_are_truncated_and_say_so()
    {
        string text = string.Join(" ", Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 40));

        var vector = Embedders.MiniLm.Embed([text], new EmbeddingRequest { MaxSequenceLength = 64 })[0];

        Assert.True(vector.Truncated);
        Assert.Equal(64, vector.TokenCount);
    }

    [Fact]
    public void Cancellation_stops_between_batches()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => Embedders.MiniLm.Embed(s_english, cancellationToken: cancelled.Token));
    }

    [Fact]
    public void Token_embeddings_have_one_row_per_token_and_mean_to_the_sentence_vector()
    {
        const string text = "A man is playing a flute.";

        var tokens = Embedders.MiniLm.EmbedTokens(text);
        var sentence = Embedders.MiniLm.Embed([text], new EmbeddingRequest { Normalize = false })[0].Vector;

        Assert.Equal(9, tokens.Count);
        Assert.Equal("[CLS]", tokens.Tokens.Tokens[0]);
        Assert.Equal("flute", tokens.Tokens.Tokens[6]);
        var mean = new float[tokens.Dimension];
        SentencePooler.Pool(tokens.Vectors.Span, tokens.Count, tokens.Dimension, PoolingMode.Mean, false, mean);
        Assert.True(MaxAbsoluteDifference(mean, sentence) < 1e-5f);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void Kr_sbert_folder_embeds_korean_end_to_end_with_its_declared_shape()
    {
        var embedder = Embedders.TinyKrSbert;
        string[] texts = ["안녕하세요. 저는 진학사에 다니고 있습니다.", "잠이 옵니다", "졸음이 옵니다", "기차가 옵니다", "비행기가 이륙하고 있다."];

        var vectors = embedder.Embed(texts);
        var alone = texts.Select(t => embedder.Embed([t])[0]).ToArray();

        Assert.Equal(32, embedder.Model.Dimension);
        Assert.Equal(PoolingMode.Mean, embedder.Model.Pooling);
        Assert.False(embedder.Model.Normalize);
        Assert.Equal(10, vectors[0].TokenCount);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(32, vectors[i].Vector.Length);
            Assert.True(MaxAbsoluteDifference(vectors[i].Vector, alone[i].Vector) < 1e-5f);
        }
    }

    internal static float MaxAbsoluteDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
