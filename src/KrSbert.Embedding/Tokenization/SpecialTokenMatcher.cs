namespace KrSbert.Embedding.Tokenization;

/// <summary>
/// Finds literal special tokens (<c>[CLS]</c>, <c>[SEP]</c>, …) in raw text, leftmost and longest first, as
/// Hugging Face's added-vocabulary split does before normalisation: they are matched case-sensitively
/// and never normalised or split.
/// </summary>
internal sealed class SpecialTokenMatcher
{
    private readonly string[] _tokensLongestFirst;
    private readonly string _firstChars;

    public SpecialTokenMatcher(IEnumerable<string> tokens)
    {
        _tokensLongestFirst = tokens.Where(t => t.Length > 0).Distinct(StringComparer.Ordinal)
            .OrderByDescending(t => t.Length).ToArray();
        _firstChars = new string(_tokensLongestFirst.Select(t => t[0]).Distinct().ToArray());
    }

    public IReadOnlyList<string> Tokens => _tokensLongestFirst;

    /// <summary>Finds the next special token at or after <paramref name="from"/>; returns its start or -1.</summary>
    public int FindNext(ReadOnlySpan<char> text, int from, out int length)
    {
        length = 0;
        if (_tokensLongestFirst.Length == 0)
        {
            return -1;
        }

        int position = from;
        while (position < text.Length)
        {
            int candidate = text[position..].IndexOfAny(_firstChars);
            if (candidate < 0)
            {
                return -1;
            }

            position += candidate;
            ReadOnlySpan<char> rest = text[position..];
            foreach (string token in _tokensLongestFirst)
            {
                if (rest.StartsWith(token, StringComparison.Ordinal))
                {
                    length = token.Length;
                    return position;
                }
            }

            position++;
        }

        return -1;
    }
}
