using KrSbert.Index.Tests.TestSupport;

namespace KrSbert.Index.Tests;

/// <summary>Which path a filtered search takes (exact scan or post-filtered graph), and what each path guarantees.</summary>
public class FilteredSearchPathTests
{
    /// <summary>Accepts about <paramref name="share"/> of the keys, unrelated to where their vectors lie.</summary>
    private static Func<ulong, bool> Share(double share) => key => (key * 0x9E3779B97F4A7C15UL >> 40) % 100_000 < share * 100_000;

    [Fact]
    public void The_reported_case_2514_vectors_of_32_dimensions_with_a_third_passing_is_scanned_and_equals_brute_force()
    {
        // A user saw 1 query in 90 differ from brute force here: the sampled pass rate sent it to the graph.
        var data = new ClusteredData(count: 2514, dimensions: 32, queries: 90, clusters: 25);
        using HnswIndex index = data.BuildIndex();
        // Just over a third pass: enough that the former rule (pass rate² x N >= 32k) chose the graph.
        Func<ulong, bool> filter = Share(0.37);
        Assert.InRange(data.Keys.Count(filter), 880, 980);

        for (int q = 0; q < data.QueryCount; q++)
        {
            HitAssert.SameTopK(data.Exact(q, 10, filter), index.Search(data.Query(q), 10, filter: filter));
        }

        // ~930 x 32 x 4 bytes is far below the 10 MiB threshold: all 90 were scanned for that reason.
        Assert.Equal(90, index.SmallMatchScans);
        Assert.Equal(90, index.ExactScans);
        Assert.Equal(0, index.FilteredGraphSearches);
    }

    [Fact]
    public void The_path_follows_the_byte_threshold_counted_in_stored_bytes()
    {
        // Half of 5,000 64-dimension vectors pass: ~640 KB as f32, ~320 KB as f16. At ef 10 the cost estimate
        // alone picks the graph, so only the byte threshold can send these searches to the scan.
        var data = new ClusteredData(count: 5000, dimensions: 64, queries: 10, clusters: 50);
        Func<ulong, bool> filter = Share(0.5);
        using HnswIndex byDefault = data.BuildIndex();
        using HnswIndex f32 = data.BuildIndex(new HnswOptions { Dimensions = 64, FullScanThresholdBytes = 480_000 });
        using HnswIndex f16 = data.BuildIndex(new HnswOptions { Dimensions = 64, FullScanThresholdBytes = 480_000, Storage = VectorStorage.F16 });

        for (int q = 0; q < data.QueryCount; q++)
        {
            byDefault.Search(data.Query(q), 10, efSearch: 10, filter: filter);
            f32.Search(data.Query(q), 10, efSearch: 10, filter: filter);
            f16.Search(data.Query(q), 10, efSearch: 10, filter: filter);
        }

        Assert.Equal((10L, 0L), (byDefault.SmallMatchScans, byDefault.FilteredGraphSearches));
        Assert.Equal((0L, 10L), (f32.SmallMatchScans, f32.FilteredGraphSearches));
        Assert.Equal((10L, 0L), (f16.SmallMatchScans, f16.FilteredGraphSearches));
    }

    [Theory]
    [InlineData(VectorStorage.F32, 0.003413, nameof(FilteredSearchPath.ScanSmallMatch))] // 3,413 x 768 x 4 = 10,487,808 - 3,072 bytes: just fits 10 MiB
    [InlineData(VectorStorage.F32, 0.003414, nameof(FilteredSearchPath.ScanCheaper))] // one vector more: over it, and the scan is still cheaper
    [InlineData(VectorStorage.F16, 0.006826, nameof(FilteredSearchPath.ScanSmallMatch))] // twice as many at 2 bytes a scalar
    [InlineData(VectorStorage.I8, 0.013653, nameof(FilteredSearchPath.ScanSmallMatch))] // four times as many at 1 byte
    [InlineData(VectorStorage.F32, 0.03, nameof(FilteredSearchPath.ScanCheaper))] // 30k to score versus 71k visits x 32 links
    [InlineData(VectorStorage.F32, 0.5, nameof(FilteredSearchPath.Graph))] // 500k to score versus 256 visits x 32 links
    public void The_plan_scans_matching_sets_that_fit_the_threshold_and_otherwise_the_cheaper_estimate(VectorStorage storage, double passRate, string expected)
    {
        var options = new HnswOptions { Dimensions = 768, Storage = storage };

        FilteredSearchPlan plan = FilteredSearchPlan.Choose(options, live: 1_000_000, passRate, k: 10, ef: 64);

        Assert.Equal(Enum.Parse<FilteredSearchPath>(expected), plan.Path);
        Assert.Equal(passRate * 1_000_000 * 768 * (storage == VectorStorage.F32 ? 4 : storage == VectorStorage.F16 ? 2 : 1), plan.MatchingBytes, 1e-3);
    }

    [Theory]
    [InlineData(0.1, 640, 6400)]
    [InlineData(0.5, 128, 256)]
    [InlineData(1.0, 64, 64)]
    public void The_graph_list_grows_with_one_over_the_pass_rate(double passRate, long listLength, long visits)
    {
        FilteredSearchPlan plan = FilteredSearchPlan.Choose(new HnswOptions { Dimensions = 8 }, live: 1_000_000, passRate, k: 10, ef: 64);

        Assert.Equal((listLength, visits), (plan.ListLength, plan.Visits));
    }

    [Fact]
    public void A_negative_threshold_is_refused_naming_the_field()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(new HnswOptions { Dimensions = 8, FullScanThresholdBytes = -1 }.Validate);

        Assert.Equal(nameof(HnswOptions.FullScanThresholdBytes), e.ParamName);
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.5)]
    [InlineData(0.2)]
    [InlineData(0.05)]
    [InlineData(0.01)]
    [InlineData(0.001)]
    public void Filtered_results_are_never_fewer_than_k_when_k_match_even_with_removed_entries(double share)
    {
        // 40% of the graph is tombstones, which cut paths through it; the byte threshold is off so that broad
        // filters take the graph.
        var data = new ClusteredData(count: 12_000, dimensions: 16, queries: 40, clusters: 120);
        using HnswIndex index = data.BuildIndex(new HnswOptions { Dimensions = 16, FullScanThresholdBytes = 0 });
        var removed = data.Keys.Where((_, i) => i % 5 < 2).ToHashSet();
        foreach (ulong key in removed)
        {
            Assert.True(index.Remove(key));
        }

        Func<ulong, bool> filter = Share(share);
        int matching = data.Keys.Count(key => filter(key) && !removed.Contains(key));

        for (int q = 0; q < data.QueryCount; q++)
        {
            VectorHit[] hits = index.Search(data.Query(q), 10, efSearch: 16, filter: filter);

            Assert.Equal(Math.Min(10, matching), hits.Length);
            Assert.All(hits, h => Assert.True(filter(h.Key) && !removed.Contains(h.Key)));
        }

        if (share >= 0.5)
        {
            Assert.True(index.FilteredGraphSearches > 0, "the broad filter never reached the graph");
        }
    }

    [Fact]
    public void A_filter_that_passes_half_but_none_of_the_nearest_still_returns_k_with_removed_entries()
    {
        // The sample says half pass, so the graph is searched; near the query nothing does, so the candidate
        // list must grow (and end in a scan) rather than come back short.
        var data = new ClusteredData(count: 12_000, dimensions: 16, queries: 20, clusters: 120);
        using HnswIndex index = data.BuildIndex(new HnswOptions { Dimensions = 16, FullScanThresholdBytes = 0 });
        foreach (ulong key in data.Keys.Where((_, i) => i % 5 < 2))
        {
            index.Remove(key);
        }

        for (int q = 0; q < data.QueryCount; q++)
        {
            var nearest = data.Exact(q, 2000).Select(h => h.Key).ToHashSet();
            bool Filter(ulong key) => key % 2 == 0 && !nearest.Contains(key);

            VectorHit[] hits = index.Search(data.Query(q), 10, efSearch: 16, filter: Filter);

            Assert.Equal(10, hits.Length);
            Assert.All(hits, h => Assert.True(Filter(h.Key) && index.Contains(h.Key)));
        }

        Assert.True(index.FilteredGraphSearches > 0, "the filter never reached the graph");
    }

    [Fact]
    public void A_filter_that_throws_inside_the_native_graph_search_surfaces_its_exception_and_the_index_keeps_working()
    {
        // The first 512 calls are the sample; the next ones come from inside USearch, where an exception must not unwind.
        var data = new ClusteredData(count: 6000, dimensions: 16, queries: 2, clusters: 60);
        using HnswIndex index = data.BuildIndex(new HnswOptions { Dimensions = 16, FullScanThresholdBytes = 0 });
        int calls = 0;
        bool Throwing(ulong key) => ++calls <= HnswIndex.FilterSampleSize + 5 ? key % 2 == 0 : throw new InvalidOperationException("filter broke");

        var e = Assert.Throws<InvalidOperationException>(() => index.Search(data.Query(0), 10, efSearch: 16, filter: Throwing));

        Assert.Equal("filter broke", e.Message);
        Assert.Equal(1, index.FilteredGraphSearches);
        Assert.Equal(10, index.Search(data.Query(1), 10, efSearch: 16, filter: key => key % 2 == 0).Length);
        Assert.Equal(2, index.FilteredGraphSearches);
    }
}
