namespace KrSbert.Embedding.Tokenization;

/// <summary>The settings of Hugging Face's <c>BertNormalizer</c>, as a model folder declares them.</summary>
/// <param name="Lowercase">Lower-case the text (uncased models).</param>
/// <param name="StripAccents">Decompose (NFD) and drop non-spacing marks; Hugging Face defaults it to <paramref name="Lowercase"/>.</param>
/// <param name="CleanText">Remove control and format characters, turn every whitespace character into a space.</param>
/// <param name="HandleChineseChars">Surround CJK ideographs with spaces so each is a word.</param>
public sealed record BertNormalizerOptions(bool Lowercase, bool StripAccents, bool CleanText = true, bool HandleChineseChars = true)
{
    /// <summary>A cased model such as KR-SBERT: nothing lower-cased, accents kept.</summary>
    public static BertNormalizerOptions Cased { get; } = new(Lowercase: false, StripAccents: false);

    /// <summary>An uncased model such as all-MiniLM-L6-v2: lower-cased, accents stripped.</summary>
    public static BertNormalizerOptions Uncased { get; } = new(Lowercase: true, StripAccents: true);
}
