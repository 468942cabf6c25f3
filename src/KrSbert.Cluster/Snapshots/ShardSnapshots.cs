using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.WriteLog;
using KrSbert.Search;
using KrSbert.Storage;
using KrSbert.Storage.Backups;

namespace KrSbert.Cluster.Snapshots;

/// <summary>
/// Shard snapshots in the single-node format (a store backup): a builder publishes one from an engine that holds
/// a shard, and a new replica restores the newest before it catches up from the log. The collection record inside
/// the backup carries the log sequence it applied, so a replica resumes exactly where its snapshot stops even when
/// the registration (taken just before the copy) names an earlier sequence.
/// </summary>
public sealed class ShardSnapshots
{
    private readonly ISnapshotStore _store;
    private readonly PostgresWriteLog _log;

    /// <summary>Snapshots kept in <paramref name="store"/> and registered in <paramref name="log"/>.</summary>
    public ShardSnapshots(ISnapshotStore store, PostgresWriteLog log)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(log);
        (_store, _log) = (store, log);
    }

    /// <summary>
    /// Copies <paramref name="engine"/>'s store (holding <paramref name="shard"/> of <paramref name="version"/>) to the
    /// snapshot store and registers it at the sequence the engine had applied when the copy began.
    /// </summary>
    public async Task<SnapshotRegistration> PublishAsync(SearchEngine engine, CollectionVersion version, int shard, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(version);
        // Read before the copy: the copy holds at least this much, and compaction keeps everything after it.
        long sequence = engine.SourceSequence(version.StoreName);
        string staging = Path.Combine(Path.GetTempPath(), $"krsbert-shard-snapshot-{Guid.NewGuid():N}.db");
        try
        {
            await using (var file = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await engine.Store.BackupAsync((chunk, token) => file.WriteAsync(chunk, token), cancellationToken).ConfigureAwait(false);
            }

            SnapshotRegistration registration;
            await using (var file = new FileStream(staging, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous))
            {
                registration = await _store.PutAsync(version, shard, sequence, file, cancellationToken).ConfigureAwait(false);
            }

            await _log.RegisterSnapshotAsync(version, registration, cancellationToken).ConfigureAwait(false);
            return registration;
        }
        finally
        {
            File.Delete(staging);
        }
    }

    /// <summary>
    /// Puts the newest registered snapshot of a shard in place as the database <paramref name="databasePath"/> (no
    /// engine may hold it), after checking its SHA-256. Returns it, or null when the shard has none, so the replica
    /// starts empty and reads the whole log.
    /// </summary>
    /// <exception cref="SnapshotVerificationException">The newest snapshot's bytes are missing or damaged.</exception>
    public async Task<SnapshotRegistration?> RestoreNewestAsync(CollectionVersion version, int shard, string databasePath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        IReadOnlyList<SnapshotRegistration> snapshots = await _log.SnapshotsAsync(version, shard, cancellationToken).ConfigureAwait(false);
        if (snapshots.Count == 0)
        {
            return null;
        }

        await RestoreAsync(snapshots[0], databasePath, cancellationToken).ConfigureAwait(false);
        return snapshots[0];
    }

    /// <summary>
    /// Puts the newest registered snapshot of a shard whose bytes verify in place as the database
    /// <paramref name="databasePath"/>, passing over damaged or missing newer ones. Returns it, or null when none
    /// verifies. A rebuild reads a compacted version's documents this way.
    /// </summary>
    public async Task<SnapshotRegistration?> RestoreNewestVerifiedAsync(CollectionVersion version, int shard, string databasePath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        foreach (SnapshotRegistration snapshot in await _log.SnapshotsAsync(version, shard, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await RestoreAsync(snapshot, databasePath, cancellationToken).ConfigureAwait(false);
                return snapshot;
            }
            catch (Exception e) when (e is SnapshotVerificationException or InvalidBackupException)
            {
                // An older snapshot still holds the documents, and the log keeps every row after the oldest one.
            }
        }

        return null;
    }

    private async Task RestoreAsync(SnapshotRegistration snapshot, string databasePath, CancellationToken cancellationToken)
    {
        string staging = Path.Combine(Path.GetTempPath(), $"krsbert-shard-restore-{Guid.NewGuid():N}.db");
        try
        {
            await using (Stream verified = await _store.OpenVerifiedAsync(snapshot, cancellationToken).ConfigureAwait(false))
            await using (var file = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await verified.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }

            // The restore checks the hash again on its own copy, so bytes changed after verification are caught too.
            DocumentStore.Restore(staging, databasePath, Convert.ToHexStringLower(snapshot.Sha256));
        }
        finally
        {
            File.Delete(staging);
        }
    }

    /// <summary>
    /// Deletes the bytes of every registered snapshot of <paramref name="version"/>'s shards, leaving the
    /// registrations for <see cref="PostgresWriteLog.DropVersionAsync"/> to remove with the rest of the version.
    /// Returns the snapshots deleted.
    /// </summary>
    public async Task<int> DeleteAllAsync(CollectionVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        int deleted = 0;
        for (int shard = 0; shard < version.Shards.ShardCount; shard++)
        {
            foreach (SnapshotRegistration snapshot in await _log.SnapshotsAsync(version, shard, cancellationToken).ConfigureAwait(false))
            {
                deleted += await _store.DeleteAsync(snapshot, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }
        }

        return deleted;
    }

    /// <summary>
    /// Deletes the bytes of <paramref name="snapshots"/> (registrations already removed from PostgreSQL, as a dropped
    /// staged version's are). Returns the snapshots deleted.
    /// </summary>
    public async Task<int> DeleteAsync(IEnumerable<SnapshotRegistration> snapshots, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        int deleted = 0;
        foreach (SnapshotRegistration snapshot in snapshots)
        {
            deleted += await _store.DeleteAsync(snapshot, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }

        return deleted;
    }
}
