using Microsoft.Extensions.Logging;

namespace KrSbert.Search;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Opened collection {Collection}: {Vectors} vectors from {Source}, replayed {Replayed} changes to sequence {Sequence} in {Milliseconds} ms")]
    public static partial void CollectionOpened(ILogger logger, string collection, int vectors, string source, int replayed, long sequence, long milliseconds);

    [LoggerMessage(2, LogLevel.Warning, "Snapshot generation {Generation} of collection {Collection} is unusable ({Reason}); trying the previous one or rebuilding from stored vectors")]
    public static partial void SnapshotUnusable(ILogger logger, string collection, long generation, string reason);

    [LoggerMessage(3, LogLevel.Information, "Rebuilt the index of collection {Collection} from {Vectors} stored vectors in {Milliseconds} ms")]
    public static partial void IndexRebuilt(ILogger logger, string collection, int vectors, long milliseconds);

    [LoggerMessage(4, LogLevel.Error, "Background work on collection {Collection} failed")]
    public static partial void BackgroundFailed(ILogger logger, string collection, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Collection {Collection} was built with model {CollectionModel} ({Pooling}); this server runs {Model}: text upserts and text queries are refused, vector ones work")]
    public static partial void ModelMismatch(ILogger logger, string collection, string collectionModel, string pooling, string model);

    [LoggerMessage(6, LogLevel.Warning, "Collection {Collection}: the stored vector of document key {DocumentKey} chunk {Chunk} {Reason}; the index skips it (the document stays stored but cannot be found by search)")]
    public static partial void VectorSkipped(ILogger logger, string collection, long documentKey, int chunk, string reason);

    [LoggerMessage(7, LogLevel.Error, "Collection {Collection} could not be opened and is not serving; repair it with Collections.Rebuild (krsbert rebuild --server … --collection {Collection})")]
    public static partial void CollectionFailed(ILogger logger, string collection, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "Built the lexical index of collection {Collection}: {Chunks} chunks, {Terms} terms in {Milliseconds} ms")]
    public static partial void LexicalIndexBuilt(ILogger logger, string collection, int chunks, int terms, long milliseconds);
}
