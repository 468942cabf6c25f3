using KrSbert.Cluster.Aliases;
using Npgsql;

namespace KrSbert.Cluster.WriteLog;

public sealed partial class PostgresWriteLog
{
    /// <summary>Registers a snapshot the builder wrote, so replicas can load it and compaction keeps the rows after it.</summary>
    /// <exception cref="ArgumentException">A hash that is not 32 bytes, an empty location, a sequence past the shard's head, or one compaction has already passed (the rows to catch up from it are gone).</exception>
    public async Task RegisterSnapshotAsync(CollectionVersion version, SnapshotRegistration snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(snapshot);
        CheckShard(version, snapshot.Shard);
        ArgumentException.ThrowIfNullOrEmpty(snapshot.Location, nameof(snapshot));
        ArgumentOutOfRangeException.ThrowIfNegative(snapshot.Sequence, nameof(snapshot));
        if (snapshot.Sha256 is not { Length: 32 })
        {
            throw new ArgumentException($"the snapshot's sha256 has {snapshot.Sha256?.Length ?? 0} bytes; it must have 32.", nameof(snapshot));
        }

        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The head row is locked so a compaction cannot pass the snapshot's sequence while it registers.
        await using (NpgsqlCommand head = Command(connection, transaction, """
            SELECT seq, compacted_through FROM krs_shard_head WHERE collection = $1 AND version = $2 AND shard = $3 FOR UPDATE
            """, version.Collection, version.Version, snapshot.Shard))
        await using (NpgsqlDataReader reader = await head.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            (long last, long compacted) = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
            if (snapshot.Sequence > last)
            {
                throw new ArgumentException($"the snapshot of shard {snapshot.Shard} is at sequence {snapshot.Sequence}; the log's head is {last}.", nameof(snapshot));
            }

            if (snapshot.Sequence < compacted)
            {
                throw new ArgumentException($"the snapshot of shard {snapshot.Shard} is at sequence {snapshot.Sequence}; the log is compacted through {compacted}, so it could not catch up.", nameof(snapshot));
            }
        }

        await using (NpgsqlCommand insert = Command(connection, transaction, """
            INSERT INTO krs_snapshot (collection, version, shard, seq, location, sha256) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (collection, version, shard, seq) DO UPDATE SET location = EXCLUDED.location, sha256 = EXCLUDED.sha256, registered_at = now()
            """, version.Collection, version.Version, snapshot.Shard, snapshot.Sequence, snapshot.Location, snapshot.Sha256))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The registered snapshots of a shard, newest first.</summary>
    public async Task<IReadOnlyList<SnapshotRegistration>> SnapshotsAsync(CollectionVersion version, int shard, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        CheckShard(version, shard);
        var snapshots = new List<SnapshotRegistration>();
        await using NpgsqlCommand command = _dataSource.CreateCommand("SELECT seq, location, sha256 FROM krs_snapshot WHERE collection = $1 AND version = $2 AND shard = $3 ORDER BY seq DESC");
        AddParameters(command.Parameters, version.Collection, version.Version, shard);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            snapshots.Add(new SnapshotRegistration(shard, reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2)));
        }

        return snapshots;
    }

    /// <summary>Removes a snapshot's registration (after the store deleted it), so compaction may pass it. True when it was registered.</summary>
    public async Task<bool> UnregisterSnapshotAsync(CollectionVersion version, int shard, long sequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        CheckShard(version, shard);
        await using NpgsqlCommand command = _dataSource.CreateCommand("DELETE FROM krs_snapshot WHERE collection = $1 AND version = $2 AND shard = $3 AND seq = $4");
        AddParameters(command.Parameters, version.Collection, version.Version, shard, sequence);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// Removes, per shard, the rows at or below the oldest registered snapshot's sequence: every snapshot holds them,
    /// and a replica loading even the oldest one reads on only after it. Shards with no snapshot keep every row.
    /// Returns the rows removed.
    /// </summary>
    public async Task<long> CompactAsync(CollectionVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Locking the head rows first keeps a snapshot from registering below the floor while it is removed.
        await using NpgsqlCommand command = Command(connection, transaction, """
            WITH heads AS (
                SELECT shard FROM krs_shard_head WHERE collection = $1 AND version = $2 FOR UPDATE),
            floors AS (
                SELECT s.shard, min(s.seq) AS seq FROM krs_snapshot s JOIN heads h ON h.shard = s.shard
                WHERE s.collection = $1 AND s.version = $2 GROUP BY s.shard),
            marked AS (
                UPDATE krs_shard_head h SET compacted_through = greatest(h.compacted_through, f.seq) FROM floors f
                WHERE h.collection = $1 AND h.version = $2 AND h.shard = f.shard),
            removed AS (
                DELETE FROM krs_log l USING floors f
                WHERE l.collection = $1 AND l.version = $2 AND l.shard = f.shard AND l.seq <= f.seq RETURNING 1)
            SELECT count(*) FROM removed
            """, version.Collection, version.Version);
        long removed = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return removed;
    }
}
