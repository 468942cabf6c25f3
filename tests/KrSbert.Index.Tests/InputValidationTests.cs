namespace KrSbert.Index.Tests;

public class InputValidationTests
{
    private static HnswIndex SmallIndex(VectorMetric metric = VectorMetric.Cosine)
    {
        var index = HnswIndex.Create(new HnswOptions { Dimensions = 4, Metric = metric });
        index.AddBatch([1, 2, 3], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
        return index;
    }

    private static void AssertUnchanged(HnswIndex index)
    {
        Assert.Equal(3, index.Count);
        Assert.Equal(0, index.RemovedCount);
        Assert.Equal([1UL, 2UL, 3UL], index.Search([1, 0.5f, 0.25f, 0], 3).Select(h => h.Key));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(0)]
    public void Add_of_a_wrong_dimension_names_the_parameter_and_the_expected_dimension(int length)
    {
        using var index = SmallIndex();

        var e = Assert.Throws<ArgumentException>(() => index.Add(9, new float[length]));

        Assert.Equal("vector", e.ParamName);
        Assert.Contains("4 dimensions", e.Message, StringComparison.Ordinal);
        AssertUnchanged(index);
    }

    [Fact]
    public void Search_with_a_wrong_dimension_names_the_query()
    {
        using var index = SmallIndex();

        var e = Assert.Throws<ArgumentException>(() => index.Search([1, 0, 0], 1));

        Assert.Equal("query", e.ParamName);
        Assert.Contains("4 dimensions", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_values_are_rejected_and_the_index_is_unchanged(float bad)
    {
        using var index = SmallIndex();

        Assert.Throws<ArgumentException>(() => index.Add(9, [1, bad, 0, 0]));
        Assert.Throws<ArgumentException>(() => index.Add(2, [1, bad, 0, 0]));
        Assert.Throws<ArgumentException>(() => index.Search([bad, 0, 0, 0], 1));
        Assert.Throws<ArgumentException>(() => index.AddBatch([7, 8], [1, 0, 0, 0, 0, 0, bad, 1]));

        AssertUnchanged(index);
        Assert.False(index.Contains(9));
    }

    [Fact]
    public void A_bad_row_in_a_batch_is_named_and_nothing_of_the_batch_is_added()
    {
        using var index = SmallIndex();

        var e = Assert.Throws<ArgumentException>(() => index.AddBatch([7, 8, 9], [1, 0, 0, 0, 0, 1, 1, 0, 0, float.NaN, 0, 0]));

        Assert.Contains("Vector 2", e.Message, StringComparison.Ordinal);
        Assert.False(index.Contains(7));
        AssertUnchanged(index);
    }

    [Fact]
    public void A_batch_whose_shape_disagrees_or_repeats_a_key_is_rejected()
    {
        using var index = SmallIndex();

        Assert.Equal("vectors", Assert.Throws<ArgumentException>(() => index.AddBatch([7, 8], [1, 0, 0, 0])).ParamName);
        Assert.Equal("keys", Assert.Throws<ArgumentException>(() => index.AddBatch([7, 7], [1, 0, 0, 0, 0, 1, 0, 0])).ParamName);
        AssertUnchanged(index);
    }

    [Fact]
    public void Zero_vectors_are_rejected_for_cosine_and_accepted_for_l2()
    {
        using var cosine = SmallIndex();
        using var l2 = SmallIndex(VectorMetric.L2);

        Assert.Throws<ArgumentException>(() => cosine.Add(9, [0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => cosine.Search([0, 0, 0, 0], 1));
        l2.Add(9, [0, 0, 0, 0]);

        AssertUnchanged(cosine);
        Assert.Equal(9UL, l2.Search([0, 0, 0, 0], 1)[0].Key);
    }

    [Fact]
    public void Vectors_whose_norm_overflows_are_rejected()
    {
        using var index = SmallIndex(VectorMetric.L2);

        Assert.Throws<ArgumentException>(() => index.Add(9, [3e38f, 3e38f, 0, 0]));
    }

    [Fact]
    public void The_key_usearch_reserves_for_removed_entries_is_rejected()
    {
        using var index = SmallIndex();

        Assert.Throws<ArgumentOutOfRangeException>(() => index.Add(ulong.MaxValue, [1, 0, 0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.AddBatch([ulong.MaxValue], [1, 0, 0, 0]));
        AssertUnchanged(index);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void K_outside_1_to_10000_is_rejected(int k)
    {
        using var index = SmallIndex();

        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1, 0, 0, 0], k)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => index.SearchExact([1, 0, 0, 0], k)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => ExactSearch.Search([1f], [1], [1f], k)).ParamName);
    }

    [Fact]
    public void K_of_10000_is_accepted_and_returns_what_there_is()
    {
        using var index = SmallIndex();

        Assert.Equal(3, index.Search([1, 0, 0, 0], 10_000).Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public void Ef_search_outside_1_to_10000_is_rejected(int ef)
    {
        using var index = SmallIndex();

        Assert.Equal("efSearch", Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1, 0, 0, 0], 1, ef)).ParamName);
    }

    [Fact]
    public void An_empty_index_returns_no_hits()
    {
        using var index = HnswIndex.Create(new HnswOptions { Dimensions = 4 });

        Assert.Empty(index.Search([1, 0, 0, 0], 10));
        Assert.Empty(index.Search([1, 0, 0, 0], 10, filter: _ => true));
        Assert.Empty(index.SearchExact([1, 0, 0, 0], 10));
    }

    [Fact]
    public void A_disposed_index_throws_object_disposed()
    {
        var index = SmallIndex();
        index.Dispose();
        index.Dispose();

        Assert.Throws<ObjectDisposedException>(() => index.Search([1, 0, 0, 0], 1));
        Assert.Throws<ObjectDisposedException>(() => index.Add(5, [1, 0, 0, 0]));
        Assert.Throws<ObjectDisposedException>(() => index.Count);
        Assert.Throws<ObjectDisposedException>(() => index.Save(new MemoryStream()));
    }
}
