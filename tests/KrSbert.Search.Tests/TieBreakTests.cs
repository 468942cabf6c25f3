using KrSbert.Search.Documents;
using KrSbert.Search.Querying;

namespace KrSbert.Search.Tests;

/// <summary>Equal scores order by document id (ordinal), not by the order documents were stored.</summary>
public class TieBreakTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static TheoryData<QueryMode, bool> Modes => new()
    {
        { QueryMode.Dense, true },
        { QueryMode.Dense, false },
        { QueryMode.Lexical, false },
        { QueryMode.Hybrid, true },
        { QueryMode.Hybrid, false },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Documents_tied_in_score_come_in_document_id_order_and_the_cut_at_top_k_falls_by_id(QueryMode mode, bool exact)
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        var random = new Random(31);
        float[] tied = TemporaryEngine.RandomVector(random, 8);
        // Stored in reverse id order (and with an upper-case id, which sorts first ordinally), so internal keys
        // rise as ids fall; unrelated documents around them use other words and vectors.
        List<DocumentInput> documents = [
            .. Enumerable.Range(0, 20).Select(i => new DocumentInput($"other{i}", $"날씨 {i}", TemporaryEngine.RandomVector(random, 8))),
            new("tie-d", "바다 하늘", tied), new("tie-c", "바다 하늘", tied), new("tie-b", "바다 하늘", tied), new("Tie-z", "바다 하늘", tied),
        ];
        foreach (DocumentInput document in documents)
        {
            await temp.Engine.UpsertAsync("vectors", [document]).WaitAsync(Timeout);
        }

        var request = new SearchRequest
        {
            Mode = mode,
            Exact = exact,
            Text = mode == QueryMode.Dense ? null : "바다 하늘",
            Vector = mode == QueryMode.Lexical ? null : tied,
            TopK = 3,
        };
        SearchResult result = await temp.Engine.SearchAsync("vectors", request).WaitAsync(Timeout);

        Assert.Equal(["Tie-z", "tie-b", "tie-c"], result.Hits.Select(h => h.Id));
        Assert.Equal(result.Hits[0].Score, result.Hits[2].Score);
    }
}
