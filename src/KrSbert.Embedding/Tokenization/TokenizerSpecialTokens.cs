namespace KrSbert.Embedding.Tokenization;

/// <summary>The special tokens of a BERT vocabulary, as <c>special_tokens_map.json</c> names them.</summary>
public sealed record TokenizerSpecialTokens(
    string Unknown = "[UNK]",
    string Separator = "[SEP]",
    string Padding = "[PAD]",
    string Classification = "[CLS]",
    string Mask = "[MASK]")
{
    /// <summary>All five, for splitting literal occurrences out of text.</summary>
    public IEnumerable<string> All => [Unknown, Separator, Padding, Classification, Mask];
}
