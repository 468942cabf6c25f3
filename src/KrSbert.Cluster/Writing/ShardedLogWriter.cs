using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.WriteLog;

namespace KrSbert.Cluster.Writing;

/// <summary>
/// The router's write path after embedding: groups a request's changes by shard, appends each shard's batch to
/// the log in its own transaction (shards in parallel) and answers with one consistency token holding every
/// shard's committed sequence. Shards commit independently: a request is atomic per shard, not across shards.
/// </summary>
public sealed class ShardedLogWriter
{
    private readonly PostgresWriteLog _log;

    /// <summary>A writer appending to <paramref name="log"/>.</summary>
    public ShardedLogWriter(PostgresWriteLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
    }

    /// <summary>Appends <paramref name="entries"/> to their shards of <paramref name="version"/> and returns the token that reads them back.</summary>
    /// <exception cref="ArgumentException">No entries.</exception>
    /// <exception cref="ShardWriteException">A shard's append failed; the exception says which shards committed.</exception>
    public async Task<ConsistencyToken> AppendAsync(CollectionVersion version, IReadOnlyList<LogEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            throw new ArgumentException("the request has no documents.", nameof(entries));
        }

        // Each shard keeps the request's order, so the same id twice in one request ends as its last change.
        List<(int Shard, Task<LogAppendResult> Append)> appends = [.. version.Shards.Group(entries, e => e.DocumentId)
            .Select(g => (g.Key, _log.AppendAsync(version, g.Key, g.Value, cancellationToken)))];
        try
        {
            await Task.WhenAll(appends.Select(a => a.Append)).ConfigureAwait(false);
        }
        catch (Exception) when (appends.Any(a => !a.Append.IsCompletedSuccessfully))
        {
            var committed = appends.Where(a => a.Append.IsCompletedSuccessfully).Select(a => new KeyValuePair<int, long>(a.Shard, a.Append.Result.Last));
            (int failedShard, Task<LogAppendResult> failed) = appends.First(a => !a.Append.IsCompletedSuccessfully);
            Exception cause = failed.Exception?.InnerException ?? new OperationCanceledException(cancellationToken);
            throw new ShardWriteException(new ConsistencyToken(version.Version, committed), failedShard, cause);
        }

        return new ConsistencyToken(version.Version, appends.Select(a => new KeyValuePair<int, long>(a.Shard, a.Append.Result.Last)));
    }
}
