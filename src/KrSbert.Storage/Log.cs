using Microsoft.Extensions.Logging;

namespace KrSbert.Storage;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Error, "The database {Path} failed; reopening it")]
    public static partial void StoreFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "The database {Path} was reopened ({Count} times since start)")]
    public static partial void StoreReopened(ILogger logger, string path, int count);

    [LoggerMessage(3, LogLevel.Information, "Saved index snapshot generation {Generation} of collection {Collection} at sequence {Sequence} ({Bytes} bytes)")]
    public static partial void SnapshotSaved(ILogger logger, string collection, long generation, long sequence, long bytes);

    [LoggerMessage(4, LogLevel.Error, "The database {Path} could not be reopened after a failure; the next call tries again")]
    public static partial void StoreReopenFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "The database {Path} accepts writes again")]
    public static partial void StoreWritesResumed(ILogger logger, string path);

    [LoggerMessage(20, LogLevel.Information, "Backed up {Path}: {Bytes} bytes in {Milliseconds:F0} ms; writes waited at most {WriterMilliseconds:F1} ms on it")]
    public static partial void BackupCopied(ILogger logger, string path, long bytes, double milliseconds, double writerMilliseconds);
}
