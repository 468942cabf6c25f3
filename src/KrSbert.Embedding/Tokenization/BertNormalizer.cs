using System.Text;

namespace KrSbert.Embedding.Tokenization;

/// <summary>
/// Hugging Face's <c>BertNormalizer</c> as a Microsoft.ML.Tokenizers <see cref="Microsoft.ML.Tokenizers.Normalizer"/>:
/// clean_text, Chinese-character splitting, accent stripping and lower-casing, in that order, code point by code point.
/// Unlike the library's own normaliser it never composes (NFC) the text and never keeps format characters.
/// </summary>
public sealed class BertNormalizer : Microsoft.ML.Tokenizers.Normalizer
{
    private readonly SpecialTokenMatcher _specialTokens;

    /// <summary>Creates a normaliser with the given settings that leaves the given special tokens untouched.</summary>
    public BertNormalizer(BertNormalizerOptions options, IEnumerable<string>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _specialTokens = new SpecialTokenMatcher(specialTokens ?? []);
    }

    /// <summary>The settings this normaliser applies.</summary>
    public BertNormalizerOptions Options { get; }

    /// <inheritdoc />
    public override string Normalize(string original) => Normalize(original.AsSpan());

    /// <inheritdoc />
    public override string Normalize(ReadOnlySpan<char> original)
    {
        using var buffer = new NormalizedTextBuffer(Math.Max(16, original.Length + 8));
        int segmentStart = 0;
        while (true)
        {
            int special = _specialTokens.FindNext(original, segmentStart, out int specialLength);
            int segmentEnd = special < 0 ? original.Length : special;
            NormalizeInto(original[segmentStart..segmentEnd], segmentStart, buffer);
            if (special < 0)
            {
                return buffer.ToString();
            }

            buffer.Append(original.Slice(special, specialLength), special);
            segmentStart = special + specialLength;
        }
    }

    /// <summary>Appends the normalised form of <paramref name="text"/> to <paramref name="output"/>, each character tagged with its source index.</summary>
    internal void NormalizeInto(ReadOnlySpan<char> text, int sourceOffset, NormalizedTextBuffer output)
    {
        Span<char> decomposed = stackalloc char[32];
        Span<char> single = stackalloc char[2];
        int index = 0;
        while (index < text.Length)
        {
            Rune.DecodeFromUtf16(text[index..], out Rune rune, out int consumed);
            int source = sourceOffset + index;
            index += consumed;

            if (Options.CleanText)
            {
                if (rune.Value is 0 or 0xFFFD || BertCharacterClasses.IsControl(rune))
                {
                    continue;
                }

                if (BertCharacterClasses.IsWhitespace(rune))
                {
                    output.Append(' ', source);
                    continue;
                }
            }

            bool chinese = Options.HandleChineseChars && BertCharacterClasses.IsChineseCharacter(rune);
            if (chinese)
            {
                output.Append(' ', source);
            }

            int length = rune.EncodeToUtf16(single);
            ReadOnlySpan<char> piece = single[..length];
            if (Options.StripAccents && rune.Value >= 0xC0
                && piece.TryNormalize(decomposed, out int written, NormalizationForm.FormD))
            {
                piece = decomposed[..written];
            }

            AppendPiece(piece, source, output);

            if (chinese)
            {
                output.Append(' ', source);
            }
        }
    }

    private void AppendPiece(ReadOnlySpan<char> piece, int source, NormalizedTextBuffer output)
    {
        Span<char> lowered = stackalloc char[2];
        int index = 0;
        while (index < piece.Length)
        {
            Rune.DecodeFromUtf16(piece[index..], out Rune rune, out int consumed);
            index += consumed;
            if (Options.StripAccents && Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            if (Options.Lowercase)
            {
                rune = Rune.ToLowerInvariant(rune);
            }

            int length = rune.EncodeToUtf16(lowered);
            output.Append(lowered[..length], source);
        }
    }
}
