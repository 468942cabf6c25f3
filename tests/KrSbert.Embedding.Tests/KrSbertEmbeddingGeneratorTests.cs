using KrSbert.Embedding.Tests.TestSupport;
using Microsoft.Extensions.AI;

namespace KrSbert.Embedding.Tests;

public class KrSbertEmbeddingGeneratorTests
{
    [Fact]
    public async Task Generates_the_engines_vectors_with_model_metadata()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = new KrSbertEmbeddingGenerator(Embedders.MiniLm);

        var embeddings = await generator.GenerateAsync(["A man is playing a flute.", "A cat sleeps."]);
        var direct = Embedders.MiniLm.Embed(["A man is playing a flute."])[0].Vector;
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();

        Assert.Equal(2, embeddings.Count);
        Assert.Equal(direct, embeddings[0].Vector.ToArray());
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", embeddings[0].ModelId);
        Assert.Equal(384, metadata!.DefaultModelDimensions);
        Assert.True(embeddings.Usage!.InputTokenCount > 10);
    }

    [Fact]
    public async Task Pooling_is_chosen_through_additional_properties()
    {
        using var generator = new KrSbertEmbeddingGenerator(Embedders.MiniLm);
        var options = new EmbeddingGenerationOptions { AdditionalProperties = new() { ["pooling"] = "cls+mean", ["normalize"] = false } };

        var embeddings = await generator.GenerateAsync(["A man is playing a flute."], options);

        Assert.Equal(768, embeddings[0].Vector.Length);
    }

    [Fact]
    public async Task Asking_for_other_dimensions_is_refused()
    {
        using var generator = new KrSbertEmbeddingGenerator(Embedders.MiniLm);

        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 100 }));
    }
}
