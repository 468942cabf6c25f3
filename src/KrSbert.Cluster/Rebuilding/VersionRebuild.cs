using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Writing;
using KrSbert.Cluster.WriteLog;

namespace KrSbert.Cluster.Rebuilding;

/// <summary>
/// Builds version v+1 of a collection from the log of the serving version v, without re-embedding: every row of
/// v's shards is appended again, in its shard's order, to the shard of v+1 that <see cref="Sharding.ShardMap"/>
/// gives it under v+1's shard count. A document lives in one shard of each version, so its changes keep their
/// order and v+1 ends in the state v is in. Then the alias flips (one statement) and the rows v took meanwhile are
/// copied after it (the drain). The model stays: a new model needs the router's embedder, which this does not do.
/// </summary>
public sealed class VersionRebuild
{
    private readonly PostgresWriteLog _log;
    private readonly long[] _copied;
    private ConsistencyToken _token;

    private VersionRebuild(PostgresWriteLog log, CollectionVersion source, CollectionVersion target)
    {
        (_log, Source, Target) = (log, source, target);
        _copied = new long[source.Shards.ShardCount];
        _token = new ConsistencyToken(target.Version, []);
    }

    /// <summary>The serving version the rows come from.</summary>
    public CollectionVersion Source { get; }

    /// <summary>The version built.</summary>
    public CollectionVersion Target { get; }

    /// <summary>Every target shard's sequence after the rows copied so far: a replica that has applied it holds them.</summary>
    public ConsistencyToken Copied => _token;

    /// <summary>
    /// Stages the version after <paramref name="collection"/>'s serving one (and after any staged one), split into
    /// <paramref name="shardCount"/> shards, so replicas follow it from now on.
    /// </summary>
    /// <exception cref="Storage.Collections.CollectionNotFoundException">No version of the collection serves.</exception>
    /// <exception cref="VersionConflictException">Another rebuild staged the same version first.</exception>
    public static async Task<VersionRebuild> StageAsync(PostgresWriteLog log, string collection, int shardCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        CollectionVersion source = (await log.ReadAliasesAsync(cancellationToken).ConfigureAwait(false)).Resolve(collection);
        long latest = (await log.StagedVersionsAsync(cancellationToken).ConfigureAwait(false)).Where(v => v.Collection == collection).Select(v => v.Version).DefaultIfEmpty(source.Version).Max();
        var target = new CollectionVersion(collection, latest + 1, shardCount);
        // The new version is built like the serving one; its settings are written before staging makes replicas follow it.
        if (await log.ReadSettingsAsync(source, cancellationToken).ConfigureAwait(false) is { } settings)
        {
            await log.SetSettingsAsync(target, settings, cancellationToken).ConfigureAwait(false);
        }

        await log.StageVersionAsync(target, cancellationToken).ConfigureAwait(false);
        return new VersionRebuild(log, source, target);
    }

    /// <summary>Copies the source's rows after those already copied, up to each source shard's head now. Returns the rows copied.</summary>
    /// <exception cref="LogCompactedException">The source log was compacted past the rows to copy: this rebuild reads the log only.</exception>
    public async Task<long> CopyAsync(int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var writer = new ShardedLogWriter(_log);
        long total = 0;
        for (int shard = 0; shard < _copied.Length; shard++)
        {
            while (true)
            {
                IReadOnlyList<LogRecord> records = await _log.ReadAfterAsync(Source, shard, _copied[shard], batchSize, cancellationToken).ConfigureAwait(false);
                if (records.Count == 0)
                {
                    break;
                }

                ConsistencyToken appended = await writer.AppendAsync(Target, [.. records.Select(r => r.Entry)], cancellationToken).ConfigureAwait(false);
                _token = _token.Merge(appended);
                _copied[shard] = records[^1].Sequence;
                total += records.Count;
            }
        }

        return total;
    }

    /// <summary>
    /// Copies what is left, flips the alias from the source to the target, then drains the source: copies the rows
    /// writers that resolved the alias just before the flip appended to it, waits <paramref name="settle"/> for any
    /// still in flight, and copies again until a pass finds none. Replicas must already serve the target.
    /// </summary>
    /// <exception cref="VersionConflictException">The source no longer serves (another rebuild flipped first).</exception>
    public async Task FlipAsync(int batchSize, TimeSpan settle, CancellationToken cancellationToken = default)
    {
        await CopyAsync(batchSize, cancellationToken).ConfigureAwait(false);
        await _log.FlipAliasAsync(Source, Target, cancellationToken).ConfigureAwait(false);
        do
        {
            await Task.Delay(settle, cancellationToken).ConfigureAwait(false);
        }
        while (await CopyAsync(batchSize, cancellationToken).ConfigureAwait(false) > 0);
    }
}
