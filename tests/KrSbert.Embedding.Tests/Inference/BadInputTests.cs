using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Inference;

public class BadInputTests
{
    [Theory]
    [InlineData("", "is empty")]
    [InlineData("   \t\n ", "is only whitespace")]
    [InlineData("\u200B\u0007", "has no tokens")]
    public void Empty_or_blank_text_is_refused_naming_its_position(string text, string reason)
    {
        var error = Assert.Throws<InvalidTextException>(() => Embedders.MiniLm.Embed(["fine", text]));

        Assert.Equal(1, error.Index);
        Assert.Equal("texts[1]", error.ParamName);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_one_megabyte_text_is_refused_with_the_limit()
    {
        string huge = new('가', 1 << 20);

        var error = Assert.Throws<TextTooLongException>(() => Embedders.MiniLm.Embed([huge]));

        Assert.Contains("the limit is 100000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_text_is_refused()
    {
        var error = Assert.Throws<InvalidTextException>(() => Embedders.MiniLm.Embed([null!]));

        Assert.Equal(0, error.Index);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(257)]
    public void A_max_seq_length_outside_the_model_range_is_refused(int length)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Embedders.MiniLm.Embed(["fine"], new EmbeddingRequest { MaxSequenceLength = length }));

        Assert.Contains("256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_embedder_options_are_refused_naming_the_option()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new EmbedderOptions { BatchSize = 0 }.Validate());

        Assert.Equal("BatchSize", error.ParamName);
    }
}
