using KrSbert.Index.Tests.TestSupport;

namespace KrSbert.Index.Tests;

[Collection(ClusteredIndexGroup.Name)]
public class FilteredSearchTests(ClusteredIndexFixture fixture)
{
    private readonly ClusteredData _data = fixture.Data;
    private readonly HnswIndex _index = fixture.Index;

    /// <summary>Accepts about <paramref name="share"/> of the keys, unrelated to where their vectors lie.</summary>
    private static Func<ulong, bool> Share(double share) => key => (key * 0x9E3779B97F4A7C15UL >> 40) % 100_000 < share * 100_000;

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.01)]
    [InlineData(0.001)]
    public void Selective_filters_give_exactly_the_brute_force_top_k(double share)
    {
        Func<ulong, bool> filter = Share(share);

        for (int q = 0; q < _data.QueryCount; q++)
        {
            HitAssert.SameTopK(_data.Exact(q, 10, filter), _index.Search(_data.Query(q), 10, filter: filter));
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void Broad_filters_give_k_passing_hits_as_accurate_as_an_unfiltered_search(double share)
    {
        Func<ulong, bool> filter = Share(share);
        double filtered = 0, unfiltered = 0;

        for (int q = 0; q < _data.QueryCount; q++)
        {
            VectorHit[] hits = _index.Search(_data.Query(q), 10, filter: filter);

            Assert.Equal(10, hits.Length);
            Assert.All(hits, h => Assert.True(filter(h.Key)));
            Assert.Equal(hits.OrderByDescending(h => h.Score).ThenBy(h => h.Key), hits);
            filtered += HitAssert.Recall(_data.Exact(q, 10, filter), hits);
            unfiltered += HitAssert.Recall(_data.Exact(q, 10), _index.Search(_data.Query(q), 10));
        }

        filtered /= _data.QueryCount;
        unfiltered /= _data.QueryCount;
        Assert.True(filtered >= 0.95 && filtered >= unfiltered - 0.02, $"filtered recall@10 {filtered:F3}, unfiltered {unfiltered:F3}");
    }

    [Fact]
    public void When_fewer_than_k_keys_pass_all_of_them_are_returned_in_order()
    {
        var passing = new HashSet<ulong>(_data.Keys.Where((_, i) => i % 4001 == 17));
        Assert.Equal(5, passing.Count);

        for (int q = 0; q < 20; q++)
        {
            VectorHit[] hits = _index.Search(_data.Query(q), 10, filter: passing.Contains);

            Assert.Equal(passing.Order(), hits.Select(h => h.Key).Order());
            HitAssert.SameTopK(_data.Exact(q, 10, passing.Contains), hits);
        }
    }

    [Fact]
    public void A_filter_that_passes_nothing_returns_nothing()
    {
        Assert.Empty(_index.Search(_data.Query(0), 10, filter: _ => false));
    }

    [Fact]
    public void A_filter_that_rejects_the_200_nearest_still_returns_the_next_best()
    {
        // The graph's best candidates all fail; the candidate list has to grow past them.
        double recall = 0;
        for (int q = 0; q < 20; q++)
        {
            var nearest = _data.Exact(q, 200).Select(h => h.Key).ToHashSet();
            bool Filter(ulong key) => !nearest.Contains(key);

            VectorHit[] hits = _index.Search(_data.Query(q), 10, filter: Filter);

            Assert.Equal(10, hits.Length);
            Assert.All(hits, h => Assert.DoesNotContain(h.Key, nearest));
            recall += HitAssert.Recall(_data.Exact(q, 10, Filter), hits);
        }

        Assert.True(recall / 20 >= 0.95, $"recall@10 {recall / 20:F3}");
    }

    [Fact]
    public void Selective_filters_are_scanned_exactly_and_broad_ones_use_the_graph()
    {
        long scans = _index.ExactScans;
        long graph = _index.FilteredGraphSearches;

        _index.Search(_data.Query(0), 10, filter: Share(0.01));
        Assert.Equal(scans + 1, _index.ExactScans);

        _index.Search(_data.Query(0), 10, filter: Share(0.5));
        Assert.Equal(graph + 1, _index.FilteredGraphSearches);
    }

    [Fact]
    public void Filtered_search_on_a_small_index_is_exact()
    {
        using var small = HnswIndex.Create(new HnswOptions { Dimensions = _data.Dimensions });
        small.AddBatch(_data.Keys.AsSpan(0, 1000), _data.Vectors.AsSpan(0, 1000 * _data.Dimensions));
        ulong[] keys = _data.Keys[..1000];
        float[] vectors = _data.Vectors[..(1000 * _data.Dimensions)];
        Func<ulong, bool> filter = Share(0.5);

        for (int q = 0; q < 20; q++)
        {
            HitAssert.SameTopK(ExactSearch.Search(_data.Query(q), keys, vectors, 10, filter: filter), small.Search(_data.Query(q), 10, filter: filter));
        }
    }
}
