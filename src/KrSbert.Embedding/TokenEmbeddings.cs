using KrSbert.Embedding.Tokenization;

namespace KrSbert.Embedding;

/// <summary>
/// The transformer's output for one text, a vector per token (<c>[CLS]</c> and <c>[SEP]</c> included,
/// no padding rows), with the tokens, their ids and their character ranges.
/// </summary>
public sealed class TokenEmbeddings
{
    internal TokenEmbeddings(TokenizedText tokens, float[] vectors, int dimension)
    {
        Tokens = tokens;
        Vectors = vectors;
        Dimension = dimension;
    }

    /// <summary>The tokenizer's view of the text.</summary>
    public TokenizedText Tokens { get; }

    /// <summary>Row-major <c>[token, dimension]</c> values.</summary>
    public ReadOnlyMemory<float> Vectors { get; }

    /// <summary>The hidden size.</summary>
    public int Dimension { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Tokens.InputIds.Count;

    /// <summary>The vector of token <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> this[int index] => Vectors.Span.Slice(index * Dimension, Dimension);
}
