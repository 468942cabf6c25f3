using System.Buffers;

namespace KrSbert.Search.Lexical;

/// <summary>Receives one term; the span is valid only during the call.</summary>
internal delegate void TermSink(ReadOnlySpan<char> term);

/// <summary>
/// Splits text into the lexical index's terms without a model or a dictionary. Words split on whitespace and
/// punctuation. Inside a word, a run of Hangul syllables yields each syllable and each pair of adjacent
/// syllables, so <c>경찰은</c> (noun + particle, one word) shares <c>경</c>, <c>찰</c> and <c>경찰</c> with a query
/// for <c>경찰</c>. A run of other letters or digits (Latin words, numbers, codes) is lower-cased and kept whole.
/// </summary>
public static class KoreanAnalyzer
{
    // Runs longer than this are lower-cased in a rented buffer instead of on the stack.
    private const int StackRun = 128;

    /// <summary>The terms of <paramref name="text"/>, in text order, repeats kept.</summary>
    public static IReadOnlyList<string> Terms(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        Analyze(text, term => terms.Add(term.ToString()));
        return terms;
    }

    /// <summary>Passes each term of <paramref name="text"/> to <paramref name="sink"/>, in text order, repeats kept.</summary>
    internal static void Analyze(ReadOnlySpan<char> text, TermSink sink)
    {
        int i = 0;
        while (i < text.Length)
        {
            CharClass kind = Classify(text[i]);
            if (kind == CharClass.Separator)
            {
                i++;
                continue;
            }

            int start = i;
            while (i < text.Length && Classify(text[i]) == kind)
            {
                i++;
            }

            ReadOnlySpan<char> run = text[start..i];
            if (kind == CharClass.Hangul)
            {
                EmitHangul(run, sink);
            }
            else
            {
                EmitLowered(run, sink);
            }
        }
    }

    private static void EmitHangul(ReadOnlySpan<char> run, TermSink sink)
    {
        for (int s = 0; s < run.Length; s++)
        {
            sink(run.Slice(s, 1));
            if (s + 1 < run.Length)
            {
                sink(run.Slice(s, 2));
            }
        }
    }

    private static void EmitLowered(ReadOnlySpan<char> run, TermSink sink)
    {
        char[]? rented = null;
        Span<char> lowered = run.Length <= StackRun ? stackalloc char[StackRun] : (rented = ArrayPool<char>.Shared.Rent(run.Length));
        try
        {
            int length = run.ToLowerInvariant(lowered);
            sink(lowered[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static CharClass Classify(char c)
    {
        if (c is >= '\uAC00' and <= '\uD7A3')
        {
            return CharClass.Hangul;
        }

        // Surrogates are kept with letters so a character outside the BMP is not cut in half.
        return char.IsLetterOrDigit(c) || char.IsSurrogate(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark
            ? CharClass.Word
            : CharClass.Separator;
    }

    private enum CharClass
    {
        Separator,
        Hangul,
        Word,
    }
}
