using System.Globalization;
using System.Text;

namespace KrSbert.Embedding.Tokenization;

/// <summary>
/// The character classes of Hugging Face's BertNormalizer and BertPreTokenizer (the Rust `tokenizers`
/// crate), which decide what is removed, what separates words and what stands as a word of its own.
/// </summary>
internal static class BertCharacterClasses
{
    /// <summary>Unicode White_Space, as Rust's <c>char::is_whitespace</c> (which .NET's definition equals).</summary>
    public static bool IsWhitespace(Rune rune) => Rune.IsWhiteSpace(rune);

    /// <summary>
    /// What clean_text removes: categories Cc, Cf and Co, except tab, line feed and carriage return,
    /// which are whitespace. Unassigned code points (Cn) are kept, as the Rust tables have none.
    /// </summary>
    public static bool IsControl(Rune rune)
    {
        int value = rune.Value;
        if (value is '\t' or '\n' or '\r')
        {
            return false;
        }

        UnicodeCategory category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;
    }

    /// <summary>ASCII punctuation and symbols (<c>$+&lt;=&gt;^`|~</c> included) and Unicode category P*.</summary>
    public static bool IsPunctuation(Rune rune)
    {
        int value = rune.Value;
        if (value is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation
            or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation
            or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK ideograph blocks BERT surrounds with spaces (the ranges of the Rust crate, verbatim).</summary>
    public static bool IsChineseCharacter(Rune rune)
    {
        int value = rune.Value;
        return value is (>= 0x4E00 and <= 0x9FFF)
            or (>= 0x3400 and <= 0x4DBF)
            or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F)
            or (>= 0x2B920 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF)
            or (>= 0x2F800 and <= 0x2FA1F);
    }
}
