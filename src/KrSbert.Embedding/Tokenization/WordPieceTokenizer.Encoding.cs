using System.Text;

namespace KrSbert.Embedding.Tokenization;

public sealed partial class WordPieceTokenizer
{
    /// <summary>Encodes without special tokens or truncation into the scratch buffers.</summary>
    private void Encode(ReadOnlySpan<char> text, EncodingScratch scratch, bool withOffsets)
    {
        scratch.Clear();
        int segmentStart = 0;
        while (true)
        {
            int special = _specialTokens.FindNext(text, segmentStart, out int specialLength);
            int segmentEnd = special < 0 ? text.Length : special;
            if (segmentEnd > segmentStart)
            {
                EncodeSegment(text, segmentStart, segmentEnd, scratch, withOffsets);
            }

            if (special < 0)
            {
                return;
            }

            int id = _lookup[text.Slice(special, specialLength)];
            scratch.Add(id, new TokenOffset(special, special + specialLength));
            segmentStart = special + specialLength;
        }
    }

    private void EncodeSegment(ReadOnlySpan<char> text, int start, int end, EncodingScratch scratch, bool withOffsets)
    {
        NormalizedTextBuffer normalized = scratch.Normalized;
        normalized.Clear();
        _normalizer.NormalizeInto(text[start..end], start, normalized);
        ReadOnlySpan<char> chars = normalized.Chars;
        ReadOnlySpan<int> sources = normalized.Sources;

        var words = new BertWordSplitter(chars);
        while (words.MoveNext())
        {
            ReadOnlySpan<char> word = chars.Slice(words.Start, words.Length);
            int firstToken = scratch.Count;
            if (!EncodeWord(word, scratch, withOffsets ? sources.Slice(words.Start, words.Length) : default, text))
            {
                scratch.Truncate(firstToken);
                int wordStart = sources[words.Start];
                scratch.Add(UnknownId, withOffsets ? new TokenOffset(wordStart, SourceEnd(text, sources[words.Start + words.Length - 1])) : default);
            }
        }
    }

    /// <summary>Greedy longest-match-first WordPiece; false when the word must become <c>[UNK]</c>.</summary>
    private bool EncodeWord(ReadOnlySpan<char> word, EncodingScratch scratch, ReadOnlySpan<int> sources, ReadOnlySpan<char> original)
    {
        int codePoints = word.Length;
        if (codePoints > Options.MaxInputCharsPerWord)
        {
            // Surrogate pairs count once, as Rust's chars() does.
            codePoints = CountCodePoints(word);
            if (codePoints > Options.MaxInputCharsPerWord)
            {
                return false;
            }
        }

        string prefix = Options.ContinuingSubwordPrefix;
        Span<char> candidate = word.Length + prefix.Length <= 512
            ? stackalloc char[word.Length + prefix.Length]
            : new char[word.Length + prefix.Length];
        prefix.CopyTo(candidate);

        int pieceStart = 0;
        while (pieceStart < word.Length)
        {
            int pieceEnd = word.Length;
            int id = -1;
            while (pieceStart < pieceEnd)
            {
                scoped ReadOnlySpan<char> piece = word[pieceStart..pieceEnd];
                if (pieceStart > 0)
                {
                    piece.CopyTo(candidate[prefix.Length..]);
                    piece = candidate[..(prefix.Length + piece.Length)];
                }

                if (_lookup.TryGetValue(piece, out id))
                {
                    break;
                }

                id = -1;
                pieceEnd -= char.IsLowSurrogate(word[pieceEnd - 1]) && pieceEnd - 2 >= pieceStart ? 2 : 1;
            }

            if (id < 0)
            {
                return false;
            }

            TokenOffset offset = sources.IsEmpty
                ? default
                : new TokenOffset(sources[pieceStart], SourceEnd(original, sources[pieceEnd - 1]));
            scratch.Add(id, offset);
            pieceStart = pieceEnd;
        }

        return true;
    }

    private static int CountCodePoints(ReadOnlySpan<char> word)
    {
        int count = 0;
        for (int i = 0; i < word.Length; i++)
        {
            if (!(char.IsLowSurrogate(word[i]) && i > 0 && char.IsHighSurrogate(word[i - 1])))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>End (exclusive) of the original code point that starts at <paramref name="sourceIndex"/>.</summary>
    private static int SourceEnd(ReadOnlySpan<char> original, int sourceIndex)
    {
        Rune.DecodeFromUtf16(original[sourceIndex..], out _, out int consumed);
        return sourceIndex + consumed;
    }
}
