namespace KrSbert.Embedding.Tokenization;

/// <summary>
/// Hugging Face's <c>BertPreTokenizer</c> as a Microsoft.ML.Tokenizers <see cref="Microsoft.ML.Tokenizers.PreTokenizer"/>:
/// literal special tokens stay whole, whitespace separates words, every punctuation or ASCII symbol
/// character (<c>$ + &lt; = &gt; ^ | ~</c> included) is a word of its own, and <c>_</c> separates words.
/// </summary>
public sealed class BertPreTokenizer : Microsoft.ML.Tokenizers.PreTokenizer
{
    private readonly SpecialTokenMatcher _specialTokens;

    /// <summary>Creates a pre-tokenizer that keeps the given special tokens whole.</summary>
    public BertPreTokenizer(IEnumerable<string>? specialTokens = null)
    {
        _specialTokens = new SpecialTokenMatcher(specialTokens ?? []);
    }

    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => PreTokenize(text.AsSpan());

    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        var words = new List<(int Offset, int Length)>();
        int segmentStart = 0;
        while (segmentStart <= text.Length)
        {
            int special = _specialTokens.FindNext(text, segmentStart, out int specialLength);
            int segmentEnd = special < 0 ? text.Length : special;
            var splitter = new BertWordSplitter(text[segmentStart..segmentEnd]);
            while (splitter.MoveNext())
            {
                words.Add((segmentStart + splitter.Start, splitter.Length));
            }

            if (special < 0)
            {
                break;
            }

            words.Add((special, specialLength));
            segmentStart = special + specialLength;
        }

        return words;
    }
}
