namespace KrSbert.Index.Tests;

public class ExactSearchTests
{
    [Fact]
    public void Returns_the_k_best_in_order_and_no_more_than_there_are()
    {
        ulong[] keys = [1, 2, 3, 4];
        float[] vectors = [1, 0, 0.9f, 0.1f, 0, 1, -1, 0];

        VectorHit[] two = ExactSearch.Search([1f, 0f], keys, vectors, 2);
        VectorHit[] all = ExactSearch.Search([1f, 0f], keys, vectors, 10);

        Assert.Equal([1UL, 2UL], two.Select(h => h.Key));
        Assert.Equal([1UL, 2UL, 3UL, 4UL], all.Select(h => h.Key));
        Assert.Equal(-1f, all[3].Score, 1e-6f);
    }

    [Fact]
    public void The_filter_limits_the_candidates()
    {
        VectorHit[] hits = ExactSearch.Search([1f, 0f], [1, 2, 3], [1, 0, 0.9f, 0.1f, 0, 1], 2, filter: key => key != 1);

        Assert.Equal([2UL, 3UL], hits.Select(h => h.Key));
    }

    [Fact]
    public void Shapes_that_disagree_are_rejected()
    {
        Assert.Equal("vectors", Assert.Throws<ArgumentException>(() => ExactSearch.Search([1f, 0f], [1, 2], [1, 0, 1], 1)).ParamName);
        Assert.Equal("query", Assert.Throws<ArgumentException>(() => ExactSearch.Search([float.NaN, 0f], [1], [1, 0], 1)).ParamName);
        Assert.Throws<ArgumentException>(() => ExactSearch.Score([1f], [1f, 2f]));
    }

    [Fact]
    public void No_candidates_give_no_hits()
    {
        Assert.Empty(ExactSearch.Search([1f, 0f], [], [], 5));
    }
}
