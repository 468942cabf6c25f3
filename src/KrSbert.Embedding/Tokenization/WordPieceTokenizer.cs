using System.Text;

namespace KrSbert.Embedding.Tokenization;

/// <summary>
/// A BERT WordPiece tokenizer whose ids equal Hugging Face's <c>BertTokenizerFast</c>: special-token
/// split, <see cref="BertNormalizer"/>, <see cref="BertPreTokenizer"/>, greedy longest-match WordPiece
/// with a word limit counted in code points, and truncation that keeps the first pieces and ends with <c>[SEP]</c>.
/// Thread-safe; encoding allocates only its result.
/// </summary>
public sealed partial class WordPieceTokenizer
{
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string[] _tokensById;
    private readonly BertNormalizer _normalizer;
    private readonly SpecialTokenMatcher _specialTokens;
    private readonly int[] _specialTokenIds;

    private WordPieceTokenizer(string[] tokensById, WordPieceTokenizerOptions options)
    {
        Options = options;
        _tokensById = tokensById;
        _vocabulary = new Dictionary<string, int>(tokensById.Length, StringComparer.Ordinal);
        for (int id = 0; id < tokensById.Length; id++)
        {
            _vocabulary[tokensById[id]] = id;
        }

        _lookup = _vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _normalizer = new BertNormalizer(options.Normalizer);
        _specialTokens = new SpecialTokenMatcher(options.SpecialTokens.All);
        _specialTokenIds = _specialTokens.Tokens.Select(RequireToken).ToArray();
        UnknownId = RequireToken(options.SpecialTokens.Unknown);
        ClassificationId = RequireToken(options.SpecialTokens.Classification);
        SeparatorId = RequireToken(options.SpecialTokens.Separator);
        PaddingId = RequireToken(options.SpecialTokens.Padding);
        MaskId = RequireToken(options.SpecialTokens.Mask);
    }

    /// <summary>The settings this tokenizer was built with.</summary>
    public WordPieceTokenizerOptions Options { get; }

    /// <summary>Number of entries in the vocabulary.</summary>
    public int VocabularySize => _tokensById.Length;

    /// <summary>Id of <c>[UNK]</c>.</summary>
    public int UnknownId { get; }

    /// <summary>Id of <c>[CLS]</c>.</summary>
    public int ClassificationId { get; }

    /// <summary>Id of <c>[SEP]</c>.</summary>
    public int SeparatorId { get; }

    /// <summary>Id of <c>[PAD]</c>.</summary>
    public int PaddingId { get; }

    /// <summary>Id of <c>[MASK]</c>.</summary>
    public int MaskId { get; }

    /// <summary>Reads a <c>vocab.txt</c> (one token a line, the line number its id).</summary>
    /// <exception cref="InvalidDataException">The vocabulary is empty or lacks a special token.</exception>
    public static WordPieceTokenizer Create(Stream vocabulary, WordPieceTokenizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxSequenceLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxSequenceLength, "MaxSequenceLength must be at least 2 ([CLS] and [SEP]).");
        }

        var tokens = new List<string>(32_768);
        using (var reader = new StreamReader(vocabulary, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true))
        {
            while (reader.ReadLine() is { } line)
            {
                tokens.Add(line.TrimEnd());
            }
        }

        if (tokens.Count == 0)
        {
            throw new InvalidDataException("The vocabulary is empty.");
        }

        return new WordPieceTokenizer([.. tokens], options);
    }

    /// <summary>The vocabulary entry for an id.</summary>
    public string GetToken(int id) => (uint)id < (uint)_tokensById.Length
        ? _tokensById[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"The vocabulary has ids 0 to {_tokensById.Length - 1}.");

    /// <summary>The id of a vocabulary entry, or null.</summary>
    public int? GetId(string token) => _vocabulary.TryGetValue(token, out int id) ? id : null;

    /// <summary>
    /// Encodes a text into model input ids (<c>[CLS]</c> … <c>[SEP]</c>), truncated to
    /// <paramref name="maxSequenceLength"/> (default: the tokenizer's) as Hugging Face truncates.
    /// </summary>
    public int[] EncodeIds(ReadOnlySpan<char> text, out bool truncated, int? maxSequenceLength = null)
    {
        int limit = ResolveLimit(maxSequenceLength);
        EncodingScratch scratch = EncodingScratch.Rent();
        try
        {
            Encode(text, scratch, withOffsets: false);
            int content = Math.Min(scratch.Count, limit - 2);
            truncated = content < scratch.Count;
            int[] ids = new int[content + 2];
            ids[0] = ClassificationId;
            scratch.Ids[..content].CopyTo(ids.AsSpan(1));
            ids[^1] = SeparatorId;
            return ids;
        }
        finally
        {
            EncodingScratch.Return(scratch);
        }
    }

    /// <summary>Counts the ids a text encodes to without truncation, <c>[CLS]</c> and <c>[SEP]</c> included.</summary>
    public int CountTokens(ReadOnlySpan<char> text)
    {
        EncodingScratch scratch = EncodingScratch.Rent();
        try
        {
            Encode(text, scratch, withOffsets: false);
            return scratch.Count + 2;
        }
        finally
        {
            EncodingScratch.Return(scratch);
        }
    }

    /// <summary>The full view of a text: ids, mask, type ids, tokens, offsets and whether it was truncated.</summary>
    public TokenizedText Tokenize(string text, int? maxSequenceLength = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        int limit = ResolveLimit(maxSequenceLength);
        EncodingScratch scratch = EncodingScratch.Rent();
        try
        {
            Encode(text, scratch, withOffsets: true);
            int content = Math.Min(scratch.Count, limit - 2);
            int[] ids = new int[content + 2];
            var tokens = new string[content + 2];
            var offsets = new TokenOffset[content + 2];
            ids[0] = ClassificationId;
            ids[^1] = SeparatorId;
            scratch.Ids[..content].CopyTo(ids.AsSpan(1));
            scratch.Offsets[..content].CopyTo(offsets.AsSpan(1));
            for (int i = 0; i < ids.Length; i++)
            {
                tokens[i] = _tokensById[ids[i]];
            }

            offsets[^1] = new TokenOffset(text.Length, text.Length);
            return new TokenizedText(ids, tokens, offsets, content < scratch.Count, scratch.Count + 2);
        }
        finally
        {
            EncodingScratch.Return(scratch);
        }
    }

    /// <summary>
    /// A Microsoft.ML.Tokenizers <see cref="Microsoft.ML.Tokenizers.BertTokenizer"/> over the same vocabulary with
    /// this project's <see cref="BertNormalizer"/> and <see cref="BertPreTokenizer"/> plugged in, for .NET code
    /// that speaks that library's API. Its own WordPiece stage counts the word limit in UTF-16 units and its
    /// <c>maxTokenCount</c> truncation drops whole words; <see cref="EncodeIds"/> has neither difference.
    /// </summary>
    public Microsoft.ML.Tokenizers.BertTokenizer CreateMicrosoftTokenizer()
    {
        using var vocabulary = new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', _tokensById) + "\n"));
        TokenizerSpecialTokens special = Options.SpecialTokens;
        return Microsoft.ML.Tokenizers.BertTokenizer.Create(vocabulary, new Microsoft.ML.Tokenizers.BertOptions
        {
            Normalizer = new BertNormalizer(Options.Normalizer, special.All),
            PreTokenizer = new BertPreTokenizer(special.All),
            LowerCaseBeforeTokenization = Options.Normalizer.Lowercase,
            ApplyBasicTokenization = true,
            SplitOnSpecialTokens = false,
            UnknownToken = special.Unknown,
            SeparatorToken = special.Separator,
            PaddingToken = special.Padding,
            ClassificationToken = special.Classification,
            MaskingToken = special.Mask,
            ContinuingSubwordPrefix = Options.ContinuingSubwordPrefix,
            MaxInputCharsPerWord = Options.MaxInputCharsPerWord,
        });
    }

    private int ResolveLimit(int? maxSequenceLength)
    {
        int limit = maxSequenceLength ?? Options.MaxSequenceLength;
        return limit >= 2
            ? limit
            : throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), limit, "max_seq_length must be at least 2 ([CLS] and [SEP]).");
    }

    private int RequireToken(string token) => _vocabulary.TryGetValue(token, out int id)
        ? id
        : throw new InvalidDataException($"The vocabulary has no entry for the special token '{token}'.");
}
