using Microsoft.Extensions.Logging;

namespace KrSbert.Embedding;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Loaded model {Model} from {Source}: {Dimension} dimensions, {Pooling} pooling, normalize {Normalize}, max {MaxSequenceLength} tokens, vocabulary {VocabularySize}")]
    public static partial void ModelLoaded(ILogger logger, string model, string source, int dimension, string pooling, bool normalize, int maxSequenceLength, int vocabularySize);

    [LoggerMessage(2, LogLevel.Warning, "Model {Model} is English-only: Korean text becomes mostly [UNK] and its vectors carry little meaning. Configure a KR-SBERT model folder for Korean.")]
    public static partial void EnglishOnlyModel(ILogger logger, string model);

    [LoggerMessage(3, LogLevel.Information, "Model folder {Source} has no model.onnx: tokenization only")]
    public static partial void TokenizerOnly(ILogger logger, string source);

    [LoggerMessage(4, LogLevel.Debug, "Embedded {Texts} texts in {Batches} batches")]
    public static partial void Embedded(ILogger logger, int texts, int batches);

    [LoggerMessage(5, LogLevel.Information, "Model precision {Precision}: running {Graph}")]
    public static partial void ModelPrecision(ILogger logger, string precision, string graph);

    [LoggerMessage(6, LogLevel.Information, "Optimised graph cache {Outcome}: {Path}")]
    public static partial void GraphCache(ILogger logger, Inference.GraphCacheOutcome outcome, string path);

    [LoggerMessage(7, LogLevel.Warning, "The optimised graph cache {Path} cannot be used ({Problem}); the model is optimised at every start")]
    public static partial void GraphCacheUnavailable(ILogger logger, string path, string problem);
}
