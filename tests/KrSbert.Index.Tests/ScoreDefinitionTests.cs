namespace KrSbert.Index.Tests;

public class ScoreDefinitionTests
{
    private static readonly float[] s_a = [3, 4, 0];
    private static readonly float[] s_b = [0, 0, 2];
    private static readonly float[] s_c = [1, 2, 2];
    private static readonly float[] s_query = [1, 1, 1];

    // Worked by hand: |query| = √3, |a| = 5, |b| = 2, |c| = 3; query·a = 7, query·b = 2, query·c = 5.
    public static TheoryData<VectorMetric, ulong[], float[]> Expected => new()
    {
        { VectorMetric.Cosine, [3, 1, 2], [5 / (3 * MathF.Sqrt(3)), 7 / (5 * MathF.Sqrt(3)), 2 / (2 * MathF.Sqrt(3))] },
        { VectorMetric.InnerProduct, [1, 3, 2], [7, 5, 2] },
        // |query − c|² = 0 + 1 + 1, |query − b|² = 1 + 1 + 1, |query − a|² = 4 + 9 + 1.
        { VectorMetric.L2, [3, 2, 1], [-MathF.Sqrt(2), -MathF.Sqrt(3), -MathF.Sqrt(14)] },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Index_scores_are_similarities_higher_is_better(VectorMetric metric, ulong[] keys, float[] scores)
    {
        using var index = HnswIndex.Create(new HnswOptions { Dimensions = 3, Metric = metric });
        index.Add(1, s_a);
        index.Add(2, s_b);
        index.Add(3, s_c);

        VectorHit[] hits = index.Search(s_query, 3);

        Assert.Equal(keys, hits.Select(h => h.Key));
        Assert.Equal(scores, hits.Select(h => h.Score), (x, y) => Math.Abs(x - y) < 1e-5f);
    }

    [Theory]
    [MemberData(nameof(Expected))]
    public void Exact_search_scores_the_same_way(VectorMetric metric, ulong[] keys, float[] scores)
    {
        VectorHit[] hits = ExactSearch.Search(s_query, [1, 2, 3], [.. s_a, .. s_b, .. s_c], 3, metric);

        Assert.Equal(keys, hits.Select(h => h.Key));
        Assert.Equal(scores, hits.Select(h => h.Score), (x, y) => Math.Abs(x - y) < 1e-5f);
    }

    [Theory]
    [MemberData(nameof(Expected))]
    public void Exact_scan_of_the_index_scores_the_same_way(VectorMetric metric, ulong[] keys, float[] scores)
    {
        using var index = HnswIndex.Create(new HnswOptions { Dimensions = 3, Metric = metric });
        index.AddBatch([1, 2, 3], [.. s_a, .. s_b, .. s_c]);

        VectorHit[] hits = index.SearchExact(s_query, 3);

        Assert.Equal(keys, hits.Select(h => h.Key));
        Assert.Equal(scores, hits.Select(h => h.Score), (x, y) => Math.Abs(x - y) < 1e-5f);
    }

    [Fact]
    public void Identical_vector_scores_one_for_cosine_and_zero_for_l2()
    {
        using var cosine = HnswIndex.Create(new HnswOptions { Dimensions = 3 });
        using var l2 = HnswIndex.Create(new HnswOptions { Dimensions = 3, Metric = VectorMetric.L2 });
        cosine.Add(9, s_c);
        l2.Add(9, s_c);

        Assert.Equal(1f, cosine.Search(s_c, 1)[0].Score, 1e-6f);
        Assert.Equal(0f, l2.Search(s_c, 1)[0].Score, 1e-6f);
    }

    [Fact]
    public void Exact_search_breaks_ties_by_key()
    {
        VectorHit[] hits = ExactSearch.Search([1f, 0f], [30, 10, 20], [1, 0, 1, 0, 0, 1], 3);

        Assert.Equal([10UL, 30UL, 20UL], hits.Select(h => h.Key));
    }

    [Fact]
    public void F16_storage_scores_close_to_f32_in_graph_and_exact_search()
    {
        using var f16 = HnswIndex.Create(new HnswOptions { Dimensions = 3, Storage = VectorStorage.F16 });
        f16.Add(3, s_c);

        Assert.Equal(5 / (3 * MathF.Sqrt(3)), f16.Search(s_query, 1)[0].Score, 1e-3f);
        Assert.Equal(5 / (3 * MathF.Sqrt(3)), f16.SearchExact(s_query, 1)[0].Score, 1e-3f);
    }
}
