using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tokenization;

namespace KrSbert.Embedding.Models;

/// <summary>
/// What a sentence-transformers model folder declares: tokenizer settings, sequence length, pooling,
/// normalisation, and where the vocabulary and ONNX graph are.
/// </summary>
public sealed record SentenceModelDefinition
{
    /// <summary>A name for logs and collection identities (the folder name, or the embedded model's hub id).</summary>
    public required string Name { get; init; }

    /// <summary>Where the definition came from (a folder path, or "embedded").</summary>
    public required string Source { get; init; }

    /// <summary>Opens the WordPiece vocabulary (<c>vocab.txt</c>).</summary>
    public required Func<Stream> OpenVocabulary { get; init; }

    /// <summary>Normaliser, special tokens and sequence length of the tokenizer.</summary>
    public required WordPieceTokenizerOptions Tokenizer { get; init; }

    /// <summary>The transformer's hidden size (<c>config.json</c> hidden_size), equal to the pooling dimension.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Layers and feed-forward width, for throughput arithmetic; null when the config lacks them.</summary>
    public TransformerShape? Shape { get; init; }

    /// <summary>Pooling modes the folder's <c>1_Pooling/config.json</c> enables.</summary>
    public required PoolingMode Pooling { get; init; }

    /// <summary>Whether a Normalize module follows pooling.</summary>
    public required bool Normalize { get; init; }

    /// <summary>The ONNX graph, or null for a tokenizer-only folder.</summary>
    public OnnxModelSource? Onnx { get; init; }

    /// <summary>The int8 graph (<c>model.int8.onnx</c> beside <c>model.onnx</c>), or null when the folder has none.</summary>
    public OnnxModelSource? Int8Onnx { get; init; }

    /// <summary>Whether the model understands only English (the embedded default); Korean then becomes mostly <c>[UNK]</c>.</summary>
    public bool EnglishOnly { get; init; }

    /// <summary>Vector length with the default pooling.</summary>
    public int Dimension => HiddenSize * PoolingModes.Count(Pooling);
}

/// <summary>Transformer size figures from <c>config.json</c>.</summary>
public sealed record TransformerShape(int Layers, int HiddenSize, int IntermediateSize, int AttentionHeads);
