using KrSbert.Embedding.Pooling;

namespace KrSbert.Embedding.Tests.Pooling;

public class SentencePoolerTests
{
    // Three tokens of hidden size 2.
    private static readonly float[] s_tokens = [1, -2, 3, 4, 5, 0];

    [Theory]
    [InlineData(PoolingMode.Cls, new float[] { 1, -2 })]
    [InlineData(PoolingMode.Max, new float[] { 5, 4 })]
    [InlineData(PoolingMode.Mean, new float[] { 3, 2f / 3 })]
    [InlineData(PoolingMode.MeanSqrtLen, new float[] { 9 / 1.7320508f, 2 / 1.7320508f })]
    public void Each_mode_computes_what_sentence_transformers_computes(PoolingMode mode, float[] expected)
    {
        var destination = new float[2];

        SentencePooler.Pool(s_tokens, 3, 2, mode, normalize: false, destination);

        Assert.Equal(expected[0], destination[0], 5);
        Assert.Equal(expected[1], destination[1], 5);
    }

    [Fact]
    public void Combined_modes_concatenate_in_cls_max_mean_sqrt_order()
    {
        var destination = new float[8];

        SentencePooler.Pool(s_tokens, 3, 2, PoolingMode.MeanSqrtLen | PoolingMode.Mean | PoolingMode.Cls | PoolingMode.Max, normalize: false, destination);

        float[] expected = [1, -2, 5, 4, 3, 2f / 3, 9 / 1.7320508f, 2 / 1.7320508f];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], destination[i], 5);
        }
    }

    [Fact]
    public void Padding_rows_beyond_the_token_count_are_ignored()
    {
        float[] padded = [.. s_tokens, 100, 100];
        var withPadding = new float[2];
        var without = new float[2];

        SentencePooler.Pool(padded, 3, 2, PoolingMode.Max, false, withPadding);
        SentencePooler.Pool(s_tokens, 3, 2, PoolingMode.Max, false, without);

        Assert.Equal(without, withPadding);
    }

    [Fact]
    public void Normalize_gives_unit_length_and_leaves_a_zero_vector_zero()
    {
        float[] vector = [3, 4];
        float[] zero = [0, 0];

        SentencePooler.Normalize(vector);
        SentencePooler.Normalize(zero);

        Assert.Equal(0.6f, vector[0], 6);
        Assert.Equal(0.8f, vector[1], 6);
        Assert.Equal([0f, 0f], zero);
    }

    [Fact]
    public void A_destination_too_small_for_the_modes_is_refused()
    {
        var destination = new float[3];

        Assert.Throws<ArgumentException>(() => SentencePooler.Pool(s_tokens, 3, 2, PoolingMode.Cls | PoolingMode.Mean, false, destination));
    }

    [Theory]
    [InlineData("mean", PoolingMode.Mean)]
    [InlineData("CLS", PoolingMode.Cls)]
    [InlineData("mean-sqrt-len", PoolingMode.MeanSqrtLen)]
    [InlineData("cls+mean,max", PoolingMode.Cls | PoolingMode.Mean | PoolingMode.Max)]
    public void Pooling_names_parse(string text, PoolingMode expected) => Assert.Equal(expected, PoolingModes.Parse(text));

    [Fact]
    public void An_unknown_pooling_name_says_which_names_are_valid()
    {
        var error = Assert.Throws<FormatException>(() => PoolingModes.Parse("median"));

        Assert.Contains("mean_sqrt_len", error.Message, StringComparison.Ordinal);
    }
}
