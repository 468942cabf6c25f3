namespace KrSbert.Embedding.Tokenization;

/// <summary>How a BERT WordPiece tokenizer normalises, splits and truncates.</summary>
public sealed record WordPieceTokenizerOptions
{
    /// <summary>The normaliser settings (cased or uncased).</summary>
    public BertNormalizerOptions Normalizer { get; init; } = BertNormalizerOptions.Cased;

    /// <summary>The special tokens of the vocabulary.</summary>
    public TokenizerSpecialTokens SpecialTokens { get; init; } = new();

    /// <summary>Most ids a sequence holds, <c>[CLS]</c> and <c>[SEP]</c> included (sentence-transformers' max_seq_length).</summary>
    public int MaxSequenceLength { get; init; } = 128;

    /// <summary>A word longer than this, in code points, becomes <c>[UNK]</c>.</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;

    /// <summary>The prefix that marks a piece continuing a word.</summary>
    public string ContinuingSubwordPrefix { get; init; } = "##";
}
