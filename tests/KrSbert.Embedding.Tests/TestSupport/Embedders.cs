namespace KrSbert.Embedding.Tests.TestSupport;

/// <summary>Models shared across tests: loading one takes a second, and one instance serves concurrent callers.</summary>
public static class Embedders
{
    private static readonly Lazy<SentenceEmbedder> s_miniLm = new(() => SentenceEmbedder.LoadDefault(new EmbedderOptions { BatchSize = 8 }));
    private static readonly Lazy<SentenceEmbedder> s_tiny = new(() => SentenceEmbedder.LoadFolder(SharedFolder.PathOf(TestModels.TinyRandomFolder), new EmbedderOptions { BatchSize = 4 }));

    /// <summary>The embedded all-MiniLM-L6-v2.</summary>
    public static SentenceEmbedder MiniLm => s_miniLm.Value;

    /// <summary>KR-SBERT's tokenizer over a tiny random-weight BERT (vectors mean nothing).</summary>
    public static SentenceEmbedder TinyKrSbert => s_tiny.Value;

    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
}
