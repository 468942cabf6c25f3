using Npgsql;

namespace KrSbert.Cluster.WriteLog;

/// <summary>
/// A connection that LISTENs on <see cref="PostgresWriteLog.NotificationChannel"/>: it holds the notices of appends
/// committed since it started, so a tailer sleeps until one of its shard's arrives instead of polling hard.
/// </summary>
public sealed class LogListener : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly Queue<LogAppendNotice> _notices = new();

    private LogListener(NpgsqlConnection connection)
    {
        _connection = connection;
        _connection.Notification += (_, e) =>
        {
            // Payloads from other writers on the channel that are not notices are not ours to act on.
            try
            {
                _notices.Enqueue(LogAppendNotice.Parse(e.Payload));
            }
            catch (FormatException)
            {
            }
        };
    }

    internal static async Task<LogListener> StartAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var listen = new NpgsqlCommand($"LISTEN {PostgresWriteLog.NotificationChannel}", connection);
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new LogListener(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for a notice that <paramref name="matches"/> accepts and returns it, or
    /// null at the timeout. Notices the predicate refuses are dropped.
    /// </summary>
    /// <exception cref="NpgsqlException">The connection broke; start a new listener.</exception>
    public async Task<LogAppendNotice?> WaitAsync(Func<LogAppendNotice, bool> matches, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(clock);
        long started = clock.GetTimestamp();
        while (true)
        {
            while (_notices.TryDequeue(out LogAppendNotice? notice))
            {
                if (matches(notice))
                {
                    return notice;
                }
            }

            TimeSpan left = timeout - clock.GetElapsedTime(started);
            if (left <= TimeSpan.Zero || !await _connection.WaitAsync(left, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
