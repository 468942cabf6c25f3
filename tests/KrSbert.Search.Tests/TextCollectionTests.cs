using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Search.Chunking;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Querying;

namespace KrSbert.Search.Tests;

public class TextCollectionTests
{
    private static readonly string[] s_faq =
    [
        "How do I reset my password? Open settings, choose security and press reset.",
        "Our office is open from nine in the morning to six in the evening on weekdays.",
        "Refunds are paid back to the original card within five business days.",
        "Shipping abroad takes two to three weeks depending on customs.",
    ];

    [Fact]
    public async Task Text_queries_find_the_document_that_answers_them()
    {
        await using var temp = await TemporaryEngine.StartAsync(Embedders.MiniLm);
        var info = await temp.Engine.CreateCollectionAsync(new CollectionDefinition { Name = "faq" });
        await temp.Engine.UpsertAsync("faq", s_faq.Select((t, i) => new DocumentInput($"q{i}", t)).ToList());

        var result = await temp.Engine.SearchAsync("faq", new SearchRequest { Text = "When will I get my money back?", TopK = 2 });

        Assert.Equal(384, info.Record.Settings.Dimension);
        Assert.True(info.TextSearchable);
        Assert.Equal("q2", result.Hits[0].Id);
        Assert.Equal(s_faq[2], result.Hits[0].Text);
        Assert.True(result.EmbeddingTime > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_long_document_is_chunked_and_its_best_chunk_offsets_point_at_the_matching_passage()
    {
        await using var temp = await TemporaryEngine.StartAsync(Embedders.MiniLm);
        await temp.Engine.CreateCollectionAsync(new CollectionDefinition { Name = "articles", Chunking = new ChunkingOptions(64, 16) });
        string filler = string.Join(" ", Enumerable.Repeat("The committee discussed the annual budget and the schedule of meetings.", 12));
        string needle = "A rare purple orchid was discovered growing on the volcanic slopes.";
        string article = filler + " " + needle + " " + filler;
        await temp.Engine.UpsertAsync("articles", [new DocumentInput("long", article), new DocumentInput("short", "Budget meeting notes.")]);

        var stored = temp.Engine.GetDocuments("articles", ["long"])[0];
        var hit = (await temp.Engine.SearchAsync("articles", new SearchRequest { Text = "orchid flower found on a volcano", TopK = 1 })).Hits[0];

        Assert.True(stored.Chunks.Count > 5, $"{stored.Chunks.Count} chunks");
        Assert.Equal("long", hit.Id);
        Assert.Contains("orchid", article[hit.ChunkStart..hit.ChunkEnd], StringComparison.Ordinal);
        Assert.All(stored.Chunks, c => Assert.True(c.TokenIds.Length <= 64));
        Assert.Equal(2, temp.Engine.GetCollection("articles").Record.DocumentCount);
    }

    [Fact]
    public void Chunks_overlap_by_the_configured_tokens_and_cover_the_whole_text()
    {
        var tokenizer = Embedders.MiniLm.Tokenizer;
        string text = string.Join(" ", Enumerable.Range(0, 300).Select(i => $"word{i % 7}"));

        var chunks = TokenWindowChunker.Split(tokenizer, text, new ChunkingOptions(32, 8));
        int[] content = tokenizer.EncodeIds(text, out _, int.MaxValue)[1..^1];

        Assert.All(chunks, c => Assert.Equal([tokenizer.ClassificationId, .. c.InputIds[1..^1], tokenizer.SeparatorId], c.InputIds));
        Assert.Equal(content[..30], chunks[0].InputIds[1..^1]);
        Assert.Equal(content[22..52], chunks[1].InputIds[1..^1]);
        Assert.Equal(0, chunks[0].Start);
        Assert.Equal(text.Length, chunks[^1].End);
    }

    [Fact]
    public async Task Empty_text_is_reported_by_position_and_id()
    {
        await using var temp = await TemporaryEngine.StartAsync(Embedders.MiniLm);
        await temp.Engine.CreateCollectionAsync(new CollectionDefinition { Name = "faq" });

        var error = await Assert.ThrowsAsync<InvalidDocumentsException>(() => temp.Engine.UpsertAsync("faq", [new DocumentInput("a", "fine"), new DocumentInput("b", "  ")]));

        Assert.Equal((1, "b", "text"), (error.Failures[0].Index, error.Failures[0].Id, error.Failures[0].Field));
        Assert.Equal(0, temp.Engine.GetCollection("faq").Record.DocumentCount);
    }

    [Fact]
    public async Task A_vectors_only_collection_refuses_text_saying_to_send_vectors()
    {
        await using var temp = await TemporaryEngine.StartAsync(Embedders.MiniLm);
        await temp.CreateVectorCollectionAsync(dimension: 8);

        var error = await Assert.ThrowsAsync<CollectionMismatchException>(() => temp.Engine.UpsertAsync("vectors", [new DocumentInput("a", "some text")]));

        Assert.Equal("text", error.Field);
        Assert.Contains("send vectors", error.Message, StringComparison.Ordinal);
    }
}
