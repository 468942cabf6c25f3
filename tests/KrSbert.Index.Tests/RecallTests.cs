using KrSbert.Index.Tests.TestSupport;

namespace KrSbert.Index.Tests;

[Collection(ClusteredIndexGroup.Name)]
public class RecallTests(ClusteredIndexFixture fixture)
{
    private readonly ClusteredData _data = fixture.Data;
    private readonly HnswIndex _index = fixture.Index;

    [Fact]
    public void Recall_at_10_is_at_least_0_95_at_the_default_ef_search()
    {
        double recall = Enumerable.Range(0, _data.QueryCount).Average(q => HitAssert.Recall(_data.Exact(q, 10), _index.Search(_data.Query(q), 10)));

        Assert.True(recall >= 0.95, $"recall@10 {recall:F3}");
    }

    [Fact]
    public void A_larger_ef_search_does_not_lower_recall()
    {
        double Recall(int ef) => Enumerable.Range(0, _data.QueryCount).Average(q => HitAssert.Recall(_data.Exact(q, 10), _index.Search(_data.Query(q), 10, ef)));

        double low = Recall(10);
        double high = Recall(256);

        Assert.True(high >= low, $"ef 10: {low:F3}, ef 256: {high:F3}");
        Assert.True(high >= 0.99, $"ef 256: {high:F3}");
    }

    [Fact]
    public void Hits_come_sorted_best_first_with_scores_that_match_exact_arithmetic()
    {
        VectorHit[] hits = _index.Search(_data.Query(0), 50);
        var vector = new float[_data.Dimensions];

        Assert.Equal(50, hits.Length);
        Assert.Equal(hits.OrderByDescending(h => h.Score).ThenBy(h => h.Key), hits);
        foreach (VectorHit hit in hits)
        {
            Assert.True(_index.TryGetVector(hit.Key, vector));
            Assert.Equal(ExactSearch.Score(_data.Query(0), vector), hit.Score, 1e-5f);
        }
    }

    [Fact]
    public void Search_exact_equals_brute_force()
    {
        for (int q = 0; q < 10; q++)
        {
            HitAssert.SameTopK(_data.Exact(q, 10), _index.SearchExact(_data.Query(q), 10));
        }
    }

    [Fact]
    public void A_query_that_is_an_indexed_vector_finds_it_first()
    {
        for (int i = 0; i < 20_000; i += 997)
        {
            Assert.Equal(_data.Keys[i], _index.Search(_data.Vector(i), 1)[0].Key);
        }
    }
}
