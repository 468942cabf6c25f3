using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.WriteLog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KrSbert.Cluster.Replication;

/// <summary>
/// Keeps a shard replica at the log's head: catches up, then sleeps until an append to its shard is announced
/// (LISTEN/NOTIFY) or <see cref="PollInterval"/> passes, a backstop for notices lost while the listening
/// connection was down. When PostgreSQL is unreachable it logs, keeps serving what it has and tries again, waiting
/// twice as long after each failure in a row (from 100 ms up to <see cref="PollInterval"/>); once PostgreSQL
/// answers it LISTENs again on a new connection and catches up.
/// </summary>
public sealed class ShardTailer
{
    private readonly PostgresWriteLog _log;
    private readonly ShardApplier _applier;
    private readonly CollectionVersion _version;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    /// <summary>A tailer feeding <paramref name="applier"/> (a shard of <paramref name="version"/>) from <paramref name="log"/>.</summary>
    public ShardTailer(PostgresWriteLog log, CollectionVersion version, ShardApplier applier, TimeProvider? clock = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(applier);
        (_log, _version, _applier, _clock, _logger) = (log, version, applier, clock ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    /// <summary>The longest the tailer sleeps without a notice before reading the log anyway (5 s by default).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows read and applied per local transaction (500 by default).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Tails until <paramref name="cancellationToken"/> is cancelled; then completes without an exception.</summary>
    /// <exception cref="LogCompactedException">The log was compacted past this replica: it must load a newer snapshot.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        LogListener? listener = null;
        int failures = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    // Listen before reading, so an append committed during the read still wakes the next wait.
                    listener ??= await _log.ListenAsync(cancellationToken).ConfigureAwait(false);
                    long rows = await _applier.CatchUpAsync(_log, BatchSize, cancellationToken).ConfigureAwait(false);
                    if (rows > 0)
                    {
                        Log.TailApplied(_logger, _version.Collection, _version.Version, _applier.Shard, rows, _applier.Applied.Applied);
                    }

                    failures = 0;
                    await listener.WaitAsync(IsMine, PollInterval, _clock, cancellationToken).ConfigureAwait(false);
                }
                catch (Npgsql.NpgsqlException e)
                {
                    TimeSpan retry = RetryDelay(++failures, PollInterval);
                    Log.TailFailed(_logger, _version.Collection, _version.Version, _applier.Shard, _applier.Applied.Applied, (long)retry.TotalMilliseconds, e);
                    if (listener is not null)
                    {
                        await listener.DisposeAsync().ConfigureAwait(false);
                        listener = null;
                    }

                    await Task.Delay(retry, _clock, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (listener is not null)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The wait after the <paramref name="failures"/>th failure in a row: a short outage is caught up soon, a long one is not hammered.</summary>
    internal static TimeSpan RetryDelay(int failures, TimeSpan pollInterval)
    {
        double milliseconds = 100 * Math.Pow(2, Math.Min(failures - 1, 20));
        return TimeSpan.FromMilliseconds(Math.Min(milliseconds, Math.Max(100, pollInterval.TotalMilliseconds)));
    }

    private bool IsMine(LogAppendNotice notice) =>
        notice.Collection == _version.Collection && notice.Version == _version.Version && notice.Shard == _applier.Shard && notice.Sequence > _applier.Applied.Applied;
}
