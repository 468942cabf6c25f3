using KrSbert.Embedding.Tokenization;

namespace KrSbert.Search.Chunking;

/// <summary>
/// Splits a text into overlapping windows of WordPiece tokens, so a document longer than the model's
/// window is read whole instead of losing its tail. A text that fits is one chunk.
/// </summary>
public static class TokenWindowChunker
{
    /// <summary>The chunks of <paramref name="text"/>, in order.</summary>
    public static IReadOnlyList<TextChunk> Split(WordPieceTokenizer tokenizer, string text, ChunkingOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        TokenizedText tokens = tokenizer.Tokenize(text, int.MaxValue);
        int content = tokens.InputIds.Count - 2;
        int window = options.WindowTokens - 2;
        int stride = window - options.OverlapTokens;
        var chunks = new List<TextChunk>(Math.Max(1, ((content - window + stride - 1) / stride) + 1));
        for (int first = 0; ; first += stride)
        {
            int last = Math.Min(first + window, content);
            var ids = new int[last - first + 2];
            ids[0] = tokenizer.ClassificationId;
            ids[^1] = tokenizer.SeparatorId;
            for (int i = first; i < last; i++)
            {
                ids[i - first + 1] = tokens.InputIds[i + 1];
            }

            // Offsets of content token i live at index i + 1 ([CLS] comes first).
            int start = content == 0 ? 0 : tokens.Offsets[first + 1].Start;
            int end = content == 0 ? text.Length : tokens.Offsets[last].End;
            chunks.Add(new TextChunk(ids, start, end));
            if (last >= content)
            {
                return chunks;
            }
        }
    }
}
