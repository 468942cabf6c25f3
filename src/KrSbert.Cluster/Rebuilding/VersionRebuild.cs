using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Writing;
using KrSbert.Cluster.WriteLog;
using KrSbert.Storage.Collections;

namespace KrSbert.Cluster.Rebuilding;

/// <summary>
/// Builds version v+1 of a collection from the log of the serving version v, without re-embedding: every row of
/// v's shards is appended again, in its shard's order, to the shard of v+1 that <see cref="Sharding.ShardMap"/>
/// gives it under v+1's shard count. A document lives in one shard of each version, so its changes keep their
/// order and v+1 ends in the state v is in. Then the alias flips (one statement) and the rows v took before it are
/// copied after it (the drain); the log takes no row for v once the flip commits. With
/// <see cref="VersionRebuildOptions.ReembedWith"/>, v+1 takes that engine's model and every upsert is re-embedded on
/// the way; with <see cref="VersionRebuildOptions.Snapshots"/>, a shard whose log was compacted is read from its
/// snapshot first.
/// </summary>
public sealed partial class VersionRebuild
{
    private readonly PostgresWriteLog _log;
    private readonly long[] _copied;
    private readonly VersionRebuildOptions _options;
    private readonly LogReembedder? _reembedder;
    private readonly string? _sourceModel;
    private ConsistencyToken _token;

    private VersionRebuild(PostgresWriteLog log, CollectionVersion source, CollectionVersion target, VersionRebuildOptions options, LogReembedder? reembedder, string? sourceModel)
    {
        (_log, Source, Target, _options, _reembedder, _sourceModel) = (log, source, target, options, reembedder, sourceModel);
        _copied = new long[source.Shards.ShardCount];
        _token = new ConsistencyToken(target.Version, []);
    }

    /// <summary>The serving version the rows come from.</summary>
    public CollectionVersion Source { get; }

    /// <summary>The version built.</summary>
    public CollectionVersion Target { get; }

    /// <summary>Every target shard's sequence after the rows copied so far: a replica that has applied it holds them.</summary>
    public ConsistencyToken Copied => _token;

    /// <summary>Whether <see cref="FlipAsync"/> has made the target serve: from then on it is no longer abandoned, only drained into.</summary>
    public bool Flipped { get; private set; }

    /// <summary>
    /// Stages the version after <paramref name="collection"/>'s serving one (and after any staged or abandoned one), split into
    /// <paramref name="shardCount"/> shards, so replicas follow it from now on.
    /// </summary>
    /// <exception cref="Storage.Collections.CollectionNotFoundException">No version of the collection serves.</exception>
    /// <exception cref="VersionConflictException">Another rebuild staged the same version first.</exception>
    public static Task<VersionRebuild> StageAsync(PostgresWriteLog log, string collection, int shardCount, CancellationToken cancellationToken = default) =>
        StageAsync(log, collection, shardCount, new VersionRebuildOptions(), cancellationToken);

    /// <summary>
    /// Stages the next version as <see cref="StageAsync(PostgresWriteLog, string, int, CancellationToken)"/> does,
    /// using <paramref name="options"/>: with <see cref="VersionRebuildOptions.ReembedWith"/>, the new version
    /// records that engine's model (and its dimension and precision) instead of the serving version's.
    /// </summary>
    /// <exception cref="Storage.Collections.CollectionNotFoundException">No version of the collection serves.</exception>
    /// <exception cref="VersionConflictException">Another rebuild staged the same version first.</exception>
    /// <exception cref="InvalidOperationException">A new model was asked for a version with no recorded settings, or one that holds vectors its writers gave.</exception>
    public static async Task<VersionRebuild> StageAsync(PostgresWriteLog log, string collection, int shardCount, VersionRebuildOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(options);
        CollectionVersion source = (await log.ReadAliasesAsync(cancellationToken).ConfigureAwait(false)).Resolve(collection);
        // Past every number the collection used, staged or abandoned: a replica may still hold an abandoned one's store.
        long next = await log.FirstFreeVersionAsync(collection, cancellationToken).ConfigureAwait(false);
        var target = new CollectionVersion(collection, next, shardCount);
        CollectionSettings? settings = await log.ReadSettingsAsync(source, cancellationToken).ConfigureAwait(false);
        LogReembedder? reembedder = null;
        if (options.ReembedWith is { } engine)
        {
            reembedder = await LogReembedder.CreateAsync(
                engine,
                target,
                settings ?? throw new InvalidOperationException($"version {source.Version} of '{collection}' has no recorded settings, so the rebuild cannot tell which model embedded it; rebuild it without a new model first."),
                cancellationToken).ConfigureAwait(false);
        }

        // The new version's settings are written before staging makes replicas follow it: the serving version's,
        // or with a new model, the re-embedder's; then new HNSW parameters, checked before anything is written.
        if ((reembedder?.Settings ?? settings) is { } recorded)
        {
            await log.SetSettingsAsync(target, WithHnsw(recorded, options), cancellationToken).ConfigureAwait(false);
        }
        else if (options.ChangesHnsw)
        {
            throw new InvalidOperationException($"version {source.Version} of '{collection}' has no recorded settings, so the rebuild cannot give the new version other HNSW parameters; rebuild it without them first.");
        }

        await log.StageVersionAsync(target, cancellationToken).ConfigureAwait(false);
        return new VersionRebuild(log, source, target, options, reembedder, settings?.ModelName);
    }

    /// <summary><paramref name="settings"/> with the HNSW parameters <paramref name="options"/> changes, validated as a collection's are.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range; its name says which.</exception>
    private static CollectionSettings WithHnsw(CollectionSettings settings, VersionRebuildOptions options)
    {
        CollectionSettings changed = settings with
        {
            M = options.M ?? settings.M,
            EfConstruction = options.EfConstruction ?? settings.EfConstruction,
            EfSearch = options.EfSearch ?? settings.EfSearch,
        };
        new Index.HnswOptions { Dimensions = changed.Dimension, M = changed.M, EfConstruction = changed.EfConstruction, EfSearch = changed.EfSearch }.Validate();
        return changed;
    }

    /// <summary>
    /// Copies the source's rows after those already copied, up to each source shard's head now (re-embedded when the
    /// rebuild changes the model). A shard whose log was compacted before its first row was copied is read from its
    /// newest verified snapshot, then from the log after it. Returns the rows copied (documents, for a snapshot).
    /// </summary>
    /// <exception cref="LogCompactedException">
    /// The source log was compacted past the rows to copy, and no snapshot (or none that verifies) holds them, or the
    /// compaction came after this rebuild had started copying the shard.
    /// </exception>
    public async Task<long> CopyAsync(int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var writer = new ShardedLogWriter(_log);
        long total = 0;
        for (int shard = 0; shard < _copied.Length; shard++)
        {
            while (true)
            {
                IReadOnlyList<LogRecord> records;
                try
                {
                    records = await _log.ReadAfterAsync(Source, shard, _copied[shard], batchSize, cancellationToken).ConfigureAwait(false);
                }
                catch (LogCompactedException compacted) when (_copied[shard] == 0 && _options.Snapshots is not null)
                {
                    // Only before the first row: a snapshot holds the shard's state, not the rows between, so after a
                    // partial copy it could not tell which copied documents were deleted meanwhile.
                    (long documents, long through) = await CopySnapshotAsync(writer, shard, batchSize, compacted, cancellationToken).ConfigureAwait(false);
                    _copied[shard] = through;
                    total += documents;
                    continue;
                }

                if (records.Count == 0)
                {
                    break;
                }

                await AppendAsync(writer, [.. records.Select(r => r.Entry)], cancellationToken).ConfigureAwait(false);
                _copied[shard] = records[^1].Sequence;
                total += records.Count;
            }
        }

        return total;
    }

    /// <summary>Appends <paramref name="entries"/> to the target's shards (re-embedded first when the model changes) and folds their sequences into <see cref="Copied"/>.</summary>
    private async Task AppendAsync(ShardedLogWriter writer, IReadOnlyList<LogEntry> entries, CancellationToken cancellationToken)
    {
        if (_reembedder is not null)
        {
            entries = await _reembedder.ReembedAsync(entries, cancellationToken).ConfigureAwait(false);
        }

        ConsistencyToken appended = await writer.AppendAsync(Target, entries, cancellationToken).ConfigureAwait(false);
        _token = _token.Merge(appended);
    }

    /// <summary>
    /// Copies what is left, flips the alias from the source to the target, then drains the source: copies the rows
    /// writers that resolved the alias just before the flip appended to it. An append holds the alias row until it
    /// commits and the flip waits for it, and the log refuses the source once the flip commits, so this one pass
    /// after the flip copies every row the source will ever take. Replicas must already serve the target.
    /// </summary>
    /// <exception cref="VersionConflictException">The source no longer serves (another rebuild flipped first).</exception>
    public async Task FlipAsync(int batchSize, CancellationToken cancellationToken = default)
    {
        await CopyAsync(batchSize, cancellationToken).ConfigureAwait(false);
        await _log.FlipAliasAsync(Source, Target, cancellationToken).ConfigureAwait(false);
        Flipped = true;
        await CopyAsync(batchSize, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// After the flip and drain (and a grace for reads already sent to it): removes the source version, its
    /// snapshots' bytes from the snapshot store first, then its log rows, snapshot registrations and settings from
    /// PostgreSQL. Replicas drop their local copy once it neither serves nor is staged. Returns the log rows removed.
    /// </summary>
    /// <exception cref="VersionConflictException">The source serves again or is staged.</exception>
    public async Task<long> DropSourceAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Snapshots is { } snapshots)
        {
            await snapshots.DeleteAllAsync(Source, cancellationToken).ConfigureAwait(false);
        }

        return await _log.DropVersionAsync(Source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// After a failure before the flip (a refused re-embedding, a log compacted mid-copy, replicas that never served
    /// the target): unstages and removes the target from PostgreSQL, then deletes its snapshots' bytes and the
    /// builder's local collection of it, so replicas stop following a version that will never serve and nothing of it
    /// is left behind. Returns the log rows removed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The alias was flipped to the target: it serves and is drained into, not abandoned.</exception>
    /// <exception cref="VersionConflictException">The target is no longer staged, or it or a later version serves.</exception>
    public async Task<long> AbandonAsync(CancellationToken cancellationToken = default)
    {
        if (Flipped)
        {
            throw new InvalidOperationException($"version {Target.Version} of '{Target.Collection}' serves since this rebuild flipped its alias; it is not abandoned.");
        }

        // Read before the registrations go; the bytes go only once PostgreSQL no longer names them, so a target
        // that turned out to serve keeps its snapshots.
        var published = new List<SnapshotRegistration>();
        for (int shard = 0; shard < Target.Shards.ShardCount && _options.Snapshots is not null; shard++)
        {
            published.AddRange(await _log.SnapshotsAsync(Target, shard, cancellationToken).ConfigureAwait(false));
        }

        long removed = await _log.DropStagedVersionAsync(Target, cancellationToken).ConfigureAwait(false);
        if (_options.Snapshots is { } snapshots)
        {
            await snapshots.DeleteAsync(published, cancellationToken).ConfigureAwait(false);
        }

        if (_options.ReembedWith is { } engine)
        {
            await engine.DeleteCollectionAsync(Target.StoreName, cancellationToken).ConfigureAwait(false);
        }

        return removed;
    }
}
