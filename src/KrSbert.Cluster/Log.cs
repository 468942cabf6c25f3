using Microsoft.Extensions.Logging;

namespace KrSbert.Cluster;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Shard {Shard} of collection {Collection} version {Version} could not tail the write log (applied sequence {Applied}); retrying in {RetryMilliseconds} ms")]
    public static partial void TailFailed(ILogger logger, string collection, long version, int shard, long applied, long retryMilliseconds, Exception exception);

    [LoggerMessage(2, LogLevel.Debug, "Shard {Shard} of collection {Collection} version {Version} applied {Rows} log rows up to sequence {Applied}")]
    public static partial void TailApplied(ILogger logger, string collection, long version, int shard, long rows, long applied);
}
