namespace KrSbert.Embedding.Tokenization;

/// <summary>
/// What the tokenizer makes of one text: the model inputs (<c>input_ids</c>, <c>attention_mask</c>,
/// <c>token_type_ids</c>), the WordPiece tokens, and where each token stands in the original text.
/// </summary>
public sealed class TokenizedText
{
    internal TokenizedText(int[] inputIds, string[] tokens, TokenOffset[] offsets, bool truncated, int untruncatedLength)
    {
        InputIds = inputIds;
        Tokens = tokens;
        Offsets = offsets;
        Truncated = truncated;
        UntruncatedLength = untruncatedLength;
        AttentionMask = Enumerable.Repeat(1, inputIds.Length).ToArray();
        TokenTypeIds = new int[inputIds.Length];
    }

    /// <summary>Token ids, <c>[CLS]</c> first and <c>[SEP]</c> last.</summary>
    public IReadOnlyList<int> InputIds { get; }

    /// <summary>1 for every token: a single text has no padding.</summary>
    public IReadOnlyList<int> AttentionMask { get; }

    /// <summary>0 for every token: a single text is segment A.</summary>
    public IReadOnlyList<int> TokenTypeIds { get; }

    /// <summary>The vocabulary entry of each id (<c>##</c> marks a word continuation).</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Character range of each token in the original text (empty for <c>[CLS]</c>/<c>[SEP]</c>).</summary>
    public IReadOnlyList<TokenOffset> Offsets { get; }

    /// <summary>Whether the text had more tokens than the sequence length allows.</summary>
    public bool Truncated { get; }

    /// <summary>How many ids the text would have without truncation, special tokens included.</summary>
    public int UntruncatedLength { get; }
}

/// <summary>A token's character range <c>[Start, End)</c> in the original text, in UTF-16 units.</summary>
public readonly record struct TokenOffset(int Start, int End);
