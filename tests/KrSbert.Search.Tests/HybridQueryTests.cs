using KrSbert.Search.Querying;

namespace KrSbert.Search.Tests;

/// <summary>Hybrid fusion arithmetic and query options.</summary>
public class HybridQueryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    // Documents 1..4 stand for A, B, C, D.
    private static readonly List<Found> Dense = [Leg(1, 0.9f, 1, dense: true), Leg(2, 0.8f, 2, dense: true), Leg(3, 0.5f, 3, dense: true)];
    private static readonly List<Found> Lexical = [Leg(3, 10f, 1, dense: false), Leg(1, 6f, 2, dense: false), Leg(4, 2f, 3, dense: false)];

    [Fact]
    public void Rrf_sums_weight_over_k_plus_rank_per_leg()
    {
        List<Found> fused = HybridFusion.Fuse(Dense, Lexical, new Fusion { Method = FusionMethod.Rrf }, topK: 10);

        // A: 1/61 + 1/62, C: 1/63 + 1/61, B: 1/62, D: 1/63.
        Assert.Equal([1L, 3L, 2L, 4L], fused.Select(f => f.Document));
        Assert.Equal((1 / 61.0) + (1 / 62.0), fused[0].Score, 6);
        Assert.Equal(1 / 63.0, fused[3].Score, 6);
        Assert.Equal((new LegScore(1, 0.9f), new LegScore(2, 6f)), (fused[0].Dense, fused[0].Lexical));
        Assert.Null(fused[2].Lexical);
    }

    [Fact]
    public void Rrf_weights_can_favour_the_lexical_leg()
    {
        List<Found> fused = HybridFusion.Fuse(Dense, Lexical, new Fusion { Method = FusionMethod.Rrf, DenseWeight = 1, LexicalWeight = 3 }, topK: 2);

        // C: 1/63 + 3/61, A: 1/61 + 3/62, D: 3/63, B: 1/62.
        Assert.Equal([3L, 1L], fused.Select(f => f.Document));
    }

    [Theory]
    [InlineData(0.5, new long[] { 1, 3, 2, 4 })] // A .5+.25, C 0+.5, B .375, D 0
    [InlineData(0.2, new long[] { 3, 1, 2, 4 })] // C .8, A .2+.4, B .15, D 0
    [InlineData(1.0, new long[] { 1, 2, 3, 4 })] // the dense order, then D with nothing
    public void Convex_fusion_weighs_min_max_normalised_scores_by_alpha(double alpha, long[] expected)
    {
        List<Found> fused = HybridFusion.Fuse(Dense, Lexical, new Fusion { Method = FusionMethod.Convex, Alpha = alpha }, topK: 10);

        Assert.Equal(expected, fused.Select(f => f.Document));
    }

    [Theory]
    [InlineData(FusionMethod.Rrf)]
    [InlineData(FusionMethod.Convex)]
    public void When_one_leg_is_empty_the_other_legs_order_is_returned(FusionMethod method)
    {
        var fusion = new Fusion { Method = method };

        Assert.Equal([1L, 2L, 3L], HybridFusion.Fuse(Dense, [], fusion, 10).Select(f => f.Document));
        Assert.Equal([3L, 1L, 4L], HybridFusion.Fuse([], Lexical, fusion, 10).Select(f => f.Document));
        // Equal lexical scores normalise to equal values; document ids order them, as they ordered the leg.
        List<Found> ties = [Leg(7, 2f, 1, dense: false, id: "a"), Leg(5, 2f, 2, dense: false, id: "b"), Leg(6, 2f, 3, dense: false, id: "c")];
        Assert.Equal([7L, 5L, 6L], HybridFusion.Fuse([], ties, fusion, 10).Select(f => f.Document));
    }

    [Fact]
    public async Task A_hybrid_query_whose_text_has_no_terms_returns_the_dense_order()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        var random = new Random(21);
        await temp.Engine.UpsertAsync("vectors", Enumerable.Range(0, 30).Select(i => TemporaryEngine.VectorDocument($"d{i}", TemporaryEngine.RandomVector(random, 8))).ToList()).WaitAsync(Timeout);
        float[] query = TemporaryEngine.RandomVector(random, 8);

        var dense = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = query, TopK = 5 }).WaitAsync(Timeout);
        var hybrid = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = query, Text = "?! ...", Mode = QueryMode.Hybrid, TopK = 5, Explain = true }).WaitAsync(Timeout);

        Assert.Equal(dense.Hits.Select(h => h.Id), hybrid.Hits.Select(h => h.Id));
        Assert.All(hybrid.Hits, h => Assert.Null(h.Explanation!.Lexical));
        Assert.Equal(dense.Hits[0].Score, hybrid.Hits[0].Explanation!.Dense!.Score);
    }

    [Fact]
    public async Task A_hybrid_query_on_own_vectors_takes_text_for_the_lexical_leg_and_the_vector_for_the_dense_leg()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        var random = new Random(22);
        float[] near = TemporaryEngine.RandomVector(random, 8);
        await temp.Engine.UpsertAsync("vectors", [
            new("near", "바다와 하늘", near),
            new("word", "경찰은 출동했다", TemporaryEngine.RandomVector(random, 8)),
            new("none", "오늘 날씨", TemporaryEngine.RandomVector(random, 8)),
        ]).WaitAsync(Timeout);

        var result = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = near, Text = "경찰", Mode = QueryMode.Hybrid, TopK = 3, Explain = true, Fusion = new Fusion { Method = FusionMethod.Rrf } }).WaitAsync(Timeout);

        SearchHit word = result.Hits.Single(h => h.Id == "word");
        SearchHit nearHit = result.Hits.Single(h => h.Id == "near");
        Assert.Equal(1, word.Explanation!.Lexical!.Rank);
        Assert.Equal(1, nearHit.Explanation!.Dense!.Rank);
        Assert.Null(nearHit.Explanation.Lexical);
        // Fused by RRF: the word document is first lexically and somewhere in the dense leg; the near one is only in the dense leg.
        Assert.Equal((1 / 61.0) + (1.0 / (60 + word.Explanation.Dense!.Rank)), word.Score, 5);
        Assert.Equal(1 / 61.0, nearHit.Score, 5);
        // The threshold applies to the fused score (the near document's cosine is about 1, its fused score 1/61).
        var thresholded = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = near, Text = "경찰", Mode = QueryMode.Hybrid, ScoreThreshold = 0.02f, Fusion = new Fusion { Method = FusionMethod.Rrf } }).WaitAsync(Timeout);
        Assert.Equal(["word"], thresholded.Hits.Select(h => h.Id));
    }

    [Fact]
    public void Hybrid_fuses_by_convex_combination_at_alpha_one_half_unless_told_otherwise()
    {
        Assert.Equal((FusionMethod.Convex, 0.5), (new SearchRequest().Fusion.Method, new SearchRequest().Fusion.Alpha));
    }

    [Fact]
    public async Task Dense_and_lexical_modes_keep_exactly_one_of_text_and_vector()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        float[] vector = TemporaryEngine.RandomVector(new Random(1), 8);

        await Assert.ThrowsAsync<ArgumentException>(() => temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = vector, Text = "경찰" })).WaitAsync(Timeout);
        await Assert.ThrowsAsync<ArgumentException>(() => temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = vector, Text = "경찰", Mode = QueryMode.Lexical })).WaitAsync(Timeout);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = vector, Mode = QueryMode.Lexical })).WaitAsync(Timeout);
        Assert.Contains("text", e.Message);
    }

    public static TheoryData<string, SearchRequest> BadOptions() => new()
    {
        { "mode", new SearchRequest { Text = "경찰", Mode = (QueryMode)7 } },
        { "alpha", new SearchRequest { Text = "경찰", Mode = QueryMode.Hybrid, Fusion = new Fusion { Method = FusionMethod.Convex, Alpha = 1.5 } } },
        { "alpha", new SearchRequest { Text = "경찰", Mode = QueryMode.Hybrid, Fusion = new Fusion { Alpha = -0.1 } } },
        { "candidates", new SearchRequest { Text = "경찰", Mode = QueryMode.Hybrid, Candidates = 0 } },
        { "dense_weight", new SearchRequest { Text = "경찰", Mode = QueryMode.Hybrid, Fusion = new Fusion { DenseWeight = double.NaN } } },
        { "lexical_weight", new SearchRequest { Text = "경찰", Mode = QueryMode.Hybrid, Fusion = new Fusion { LexicalWeight = -1 } } },
        { "rrf_k", new SearchRequest { Text = "경찰", Mode = QueryMode.Hybrid, Fusion = new Fusion { RrfK = double.PositiveInfinity } } },
        { "bm25_k1", new SearchRequest { Text = "경찰", Mode = QueryMode.Lexical, Bm25K1 = -0.1 } },
        { "bm25_b", new SearchRequest { Text = "경찰", Mode = QueryMode.Hybrid, Bm25B = 1.5 } },
        { "bm25_k1", new SearchRequest { Text = "경찰", Mode = QueryMode.Lexical, Bm25K1 = double.NaN } },
        { "fusion", new SearchRequest { Text = "경찰", Mode = QueryMode.Hybrid, Fusion = new Fusion { Method = (FusionMethod)5 } } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task Bad_query_options_are_refused_naming_the_field(string field, SearchRequest request)
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => temp.Engine.SearchAsync("vectors", request)).WaitAsync(Timeout);

        Assert.StartsWith(field + " is", e.Message);
    }

    private static Found Leg(long document, float score, int rank, bool dense, string? id = null) =>
        new(document, id ?? $"d{document}", (ulong)document << 16, score, dense ? new LegScore(rank, score) : null, dense ? null : new LegScore(rank, score));
}
