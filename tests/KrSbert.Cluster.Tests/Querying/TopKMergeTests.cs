using KrSbert.Cluster.Querying;
using KrSbert.Search.Querying;

namespace KrSbert.Cluster.Tests.Querying;

public class TopKMergeTests
{
    private static SearchHit Hit(string id, float score) => new(id, score, null, null, 0, 0, 0);

    [Fact]
    public void Merge_orders_by_score_then_document_id_across_shards_and_keeps_top_k()
    {
        ShardAnswer[] answers =
        [
            new(0, [Hit("b", 0.9f), Hit("d", 0.5f), Hit("f", 0.1f)]),
            new(1, [Hit("a", 0.9f), Hit("c", 0.5f), Hit("e", 0.5f)]),
            new(2, [Hit("B", 0.5f)]),
        ];

        MergedHits merged = TopKMerge.Merge(answers, shardsAsked: 3, topK: 5);

        // Ties at 0.9 and at 0.5 fall by ordinal id ("B" before "c"); the cut at 5 drops "e" and "f".
        Assert.Equal(["a", "b", "B", "c", "d"], merged.Hits.Select(h => h.Id));
        Assert.Equal(new Coverage(3, 3), merged.Coverage);
        Assert.True(merged.Coverage.IsComplete);
    }

    [Fact]
    public void Merge_of_a_split_result_equals_the_single_node_order()
    {
        var random = new Random(5);
        // Scores on a coarse grid so many tie, as BM25 scores of equal texts do.
        List<SearchHit> all = [.. Enumerable.Range(0, 200).Select(i => Hit($"doc-{i}", random.Next(10) / 10f))];
        var map = new KrSbert.Cluster.Sharding.ShardMap(3);
        List<SearchHit> single = [.. all.Order(Comparer<SearchHit>.Create(TopKMerge.Compare)).Take(25)];
        ShardAnswer[] answers = [.. map.Group(all, h => h.Id).Select(g => new ShardAnswer(g.Key, [.. g.Value.Order(Comparer<SearchHit>.Create(TopKMerge.Compare)).Take(25)]))];

        MergedHits merged = TopKMerge.Merge(answers, shardsAsked: 3, topK: 25);

        Assert.Equal(single.Select(h => h.Id), merged.Hits.Select(h => h.Id));
    }

    [Fact]
    public void A_shard_that_did_not_answer_lowers_coverage()
    {
        MergedHits merged = TopKMerge.Merge([new ShardAnswer(1, [Hit("a", 1f)])], shardsAsked: 2, topK: 10);

        Assert.Equal(["a"], merged.Hits.Select(h => h.Id));
        Assert.Equal((1, 2, 0.5, false), (merged.Coverage.Answered, merged.Coverage.Asked, merged.Coverage.Fraction, merged.Coverage.IsComplete));
    }

    [Fact]
    public void No_answers_give_no_hits_and_zero_coverage()
    {
        MergedHits merged = TopKMerge.Merge([], shardsAsked: 2, topK: 10);

        Assert.Empty(merged.Hits);
        Assert.Equal(0, merged.Coverage.Fraction);
    }

    [Fact]
    public void A_shard_outside_those_asked_a_shard_answering_twice_or_a_document_on_two_shards_is_refused()
    {
        Assert.Contains("shard 2 answered; the shards asked are 0 to 1", Assert.Throws<ArgumentException>(() => TopKMerge.Merge([new ShardAnswer(2, [])], 2, 10)).Message, StringComparison.Ordinal);
        Assert.Contains("shard 0 answered twice", Assert.Throws<ArgumentException>(() => TopKMerge.Merge([new ShardAnswer(0, []), new ShardAnswer(0, [])], 2, 10)).Message, StringComparison.Ordinal);
        Assert.Contains("document 'a' came from two shards", Assert.Throws<ArgumentException>(() => TopKMerge.Merge([new ShardAnswer(0, [Hit("a", 1)]), new ShardAnswer(1, [Hit("a", 1)])], 2, 10)).Message, StringComparison.Ordinal);
        Assert.Contains("top_k is 0", Assert.Throws<ArgumentException>(() => TopKMerge.Merge([], 2, 0)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 2)]
    [InlineData(-1, 2)]
    public void Coverage_outside_0_to_asked_or_with_nothing_asked_is_refused(int answered, int asked) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Coverage(answered, asked));
}
