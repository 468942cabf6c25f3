using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests;

public class EmbeddingBatcherTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Concurrent_callers_each_get_the_vector_of_their_own_text_with_or_without_a_wait(int waitMilliseconds)
    {
        string[] texts = [.. Enumerable.Range(0, 24).Select(i => $"Question {i}: when does the branch number {i % 5} open?")];
        await using var batcher = new EmbeddingBatcher(Embedders.MiniLm, maxBatch: 8, TimeSpan.FromMilliseconds(waitMilliseconds));
        var request = new EmbeddingRequest();

        SentenceEmbedding[] batched = await Task.WhenAll(texts.Select(t => Task.Run(() => batcher.EmbedAsync(t, request)))).WaitAsync(Timeout);
        IReadOnlyList<SentenceEmbedding> alone = Embedders.MiniLm.Embed(texts, request);

        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(Embedders.Cosine(alone[i].Vector, batched[i].Vector) > 0.9999f, $"text {i}");
        }

        Assert.Equal(texts.Length, batcher.Texts);
        Assert.InRange(batcher.Batches, 3, texts.Length);
    }
}
