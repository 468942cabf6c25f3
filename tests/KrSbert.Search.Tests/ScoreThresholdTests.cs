using KrSbert.Search.Querying;

namespace KrSbert.Search.Tests;

public class ScoreThresholdTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public async Task A_score_threshold_that_is_not_finite_is_refused_naming_the_field(float threshold, string shown)
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("a", [1, 0, 0, 0, 0, 0, 0, 0])]).WaitAsync(Timeout);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = [1, 0, 0, 0, 0, 0, 0, 0], ScoreThreshold = threshold }).WaitAsync(Timeout));

        Assert.StartsWith($"score_threshold is {shown}; it must be a finite number.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_finite_score_threshold_still_filters_hits()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("same", [1, 0, 0, 0, 0, 0, 0, 0]), TemporaryEngine.VectorDocument("other", [0, 1, 0, 0, 0, 0, 0, 0])]).WaitAsync(Timeout);

        var hits = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = [1, 0, 0, 0, 0, 0, 0, 0], ScoreThreshold = 0.5f }).WaitAsync(Timeout);

        Assert.Equal("same", Assert.Single(hits.Hits).Id);
    }
}
