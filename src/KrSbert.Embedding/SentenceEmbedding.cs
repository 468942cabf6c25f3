namespace KrSbert.Embedding;

/// <summary>One text's pooled vector, with how many tokens the model read and whether the text was cut.</summary>
public sealed record SentenceEmbedding(float[] Vector, int TokenCount, bool Truncated);
