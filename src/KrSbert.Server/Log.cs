using Microsoft.Extensions.Logging;

namespace KrSbert.Server;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Error, "Unexpected error in {Method} (error id {ErrorId})")]
    public static partial void UnexpectedError(ILogger logger, string method, string errorId, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "Collections are open: {Count} collections, model {Model}; serving")]
    public static partial void Serving(ILogger logger, int count, string model);

    [LoggerMessage(3, LogLevel.Critical, "The server could not open its model or data folder; stopping")]
    public static partial void OpenFailed(ILogger logger, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Listening on {Address}, beyond loopback, without an API key: anyone who reaches this address can read and change every collection. Set KrSbert:ApiKey.")]
    public static partial void OpenWithoutKey(ILogger logger, string address);

    [LoggerMessage(5, LogLevel.Information, "Shutting down: saving index snapshots and closing the store")]
    public static partial void ShuttingDown(ILogger logger);

    [LoggerMessage(6, LogLevel.Warning, "No model folder configured and ./models/kr-sbert is absent: using the embedded English-only {Model}. Korean text needs KR-SBERT (see README, 'Bringing KR-SBERT').")]
    public static partial void EmbeddedModel(ILogger logger, string model);

    [LoggerMessage(20, LogLevel.Warning, "Writes to {Path} fail (no space or an I/O error); health service krsbert.store is NOT_SERVING until a write succeeds")]
    public static partial void StoreWritesUnavailable(ILogger logger, string path);

    [LoggerMessage(30, LogLevel.Critical, "{Message} Stopping.")]
    public static partial void DatabaseUnreadable(ILogger logger, string message);

    [LoggerMessage(7, LogLevel.Critical, "The server cannot open its model or data folder, stopping: {Reason}")]
    public static partial void OpenFailedBecause(ILogger logger, string reason);

    [LoggerMessage(40, LogLevel.Information, "Shard {Shard} restored the snapshot of {Collection} version {Version} at log sequence {Sequence} (read, verified and put in place in {Milliseconds} ms)")]
    public static partial void SnapshotRestored(ILogger logger, string collection, long version, int shard, long sequence, long milliseconds);

    [LoggerMessage(41, LogLevel.Warning, "Shard {Shard} starts without a snapshot and reads the whole log: {Reason}")]
    public static partial void SnapshotNotRestored(ILogger logger, int shard, string reason);

    [LoggerMessage(42, LogLevel.Warning, "The write log's PostgreSQL is unreachable; trying again in {Milliseconds} ms: {Reason}")]
    public static partial void ClusterLogUnreachable(ILogger logger, long milliseconds, string reason);

    [LoggerMessage(43, LogLevel.Critical, "Cluster role {Role} failed, stopping")]
    public static partial void ClusterFailed(ILogger logger, string role, Exception exception);

    [LoggerMessage(44, LogLevel.Information, "Shard {Shard} of {Collection} version {Version} caught up: {Rows} log rows applied, at sequence {Sequence}, in {Milliseconds} ms")]
    public static partial void ShardCaughtUp(ILogger logger, string collection, long version, int shard, long rows, long sequence, long milliseconds);

    [LoggerMessage(45, LogLevel.Information, "Published the snapshot of shard {Shard} of {Collection} version {Version} at log sequence {Sequence}")]
    public static partial void SnapshotPublished(ILogger logger, string collection, long version, int shard, long sequence);

    [LoggerMessage(60, LogLevel.Information, "Rebuilding {Collection}: version {Version} over {Shards} shards staged, {Rows} log rows copied from version {Source}")]
    public static partial void RebuildCopied(ILogger logger, string collection, long version, int shards, long rows, long source);

    [LoggerMessage(61, LogLevel.Information, "Waiting for every replica of version {Version} of {Collection} to serve it before the alias flips: {Reason}")]
    public static partial void RebuildWaiting(ILogger logger, string collection, long version, string reason);

    [LoggerMessage(62, LogLevel.Information, "The alias of {Collection} flipped from version {Source} to version {Version}; the old version is drained")]
    public static partial void RebuildFlipped(ILogger logger, string collection, long source, long version);

    [LoggerMessage(63, LogLevel.Information, "Dropped version {Version} of {Collection} after its grace: {Rows} log rows, its snapshots and settings removed")]
    public static partial void DrainedVersionDropped(ILogger logger, string collection, long version, long rows);

    [LoggerMessage(64, LogLevel.Information, "Dropped the local store of version {Version} of {Collection}: it neither serves nor is staged")]
    public static partial void LocalVersionDropped(ILogger logger, string collection, long version);

    [LoggerMessage(70, LogLevel.Information, "Shard {Shard} dropped its store of {Collection} version {Version}: the collection was deleted")]
    public static partial void ShardVersionDropped(ILogger logger, string collection, long version, int shard);

    [LoggerMessage(85, LogLevel.Warning, "The rebuild of {Collection} failed before its alias flipped; staged version {Version} was dropped ({Rows} log rows, its snapshots and settings)")]
    public static partial void RebuildAbandoned(ILogger logger, string collection, long version, long rows);

    [LoggerMessage(86, LogLevel.Error, "The rebuild of {Collection} failed before its alias flipped, and staged version {Version} could not be dropped: {Reason}")]
    public static partial void RebuildNotAbandoned(ILogger logger, string collection, long version, string reason);
}
