using KrSbert.Embedding.Tokenization;

namespace KrSbert.Embedding.Tests.TestSupport;

public static class TestModels
{
    public const string KrSbertFolder = "models/kr-sbert-v40k";
    public const string TinyRandomFolder = "models/kr-sbert-tiny-random";

    private static readonly Lazy<WordPieceTokenizer> s_krSbertTokenizer = new(() =>
    {
        using var vocab = File.OpenRead(Path.Combine(SharedFolder.PathOf(KrSbertFolder), "vocab.txt"));
        return WordPieceTokenizer.Create(vocab, new WordPieceTokenizerOptions { Normalizer = BertNormalizerOptions.Cased, MaxSequenceLength = 128 });
    });

    public static WordPieceTokenizer KrSbertTokenizer => s_krSbertTokenizer.Value;
}
