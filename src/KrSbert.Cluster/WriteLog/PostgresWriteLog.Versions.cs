using KrSbert.Cluster.Aliases;
using Npgsql;

namespace KrSbert.Cluster.WriteLog;

public sealed partial class PostgresWriteLog
{
    /// <summary>
    /// Records <paramref name="version"/> as built but not yet serving (<c>krs_version</c>), so shard replicas start
    /// following it before its alias flips and answer for it the moment it does.
    /// </summary>
    /// <exception cref="VersionConflictException">The version is already staged or serving.</exception>
    public async Task StageVersionAsync(CollectionVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        await using NpgsqlCommand command = _dataSource.CreateCommand("""
            INSERT INTO krs_version (collection, version, shard_count)
            SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM krs_alias WHERE collection = $1 AND version >= $2)
            ON CONFLICT (collection, version) DO NOTHING
            """);
        AddParameters(command.Parameters, version.Collection, version.Version, version.Shards.ShardCount);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new VersionConflictException($"version {version.Version} of '{version.Collection}' is already staged, or it or a later version serves.");
        }
    }

    /// <summary>The staged versions newer than their collection's serving version, oldest first.</summary>
    public async Task<IReadOnlyList<CollectionVersion>> StagedVersionsAsync(CancellationToken cancellationToken = default)
    {
        var versions = new List<CollectionVersion>();
        await using NpgsqlCommand command = _dataSource.CreateCommand("""
            SELECT v.collection, v.version, v.shard_count FROM krs_version v LEFT JOIN krs_alias a ON a.collection = v.collection
            WHERE a.version IS NULL OR v.version > a.version ORDER BY v.collection, v.version
            """);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(new CollectionVersion(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2)));
        }

        return versions;
    }

    /// <summary>
    /// Makes <paramref name="next"/> serve in one statement, only while <paramref name="current"/> still serves: a
    /// second rebuild racing this one cannot flip the alias back or past it unseen.
    /// </summary>
    /// <exception cref="VersionConflictException"><paramref name="current"/> no longer serves.</exception>
    public async Task FlipAliasAsync(CollectionVersion current, CollectionVersion next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        if (current.Collection != next.Collection || next.Version <= current.Version)
        {
            throw new ArgumentException($"the alias flips from a version of a collection to a later version of the same collection, not from '{current.StoreName}' to '{next.StoreName}'.", nameof(next));
        }

        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Exclusive: the appends in flight to the old version commit first, and none starts until the flip commits.
        await LockAliasAsync(connection, transaction, current.Collection, cancellationToken).ConfigureAwait(false);
        await using (NpgsqlCommand command = Command(connection, transaction, "UPDATE krs_alias SET version = $2, shard_count = $3 WHERE collection = $1 AND version = $4", next.Collection, next.Version, next.Shards.ShardCount, current.Version))
        {
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new VersionConflictException($"version {current.Version} of '{current.Collection}' no longer serves; the alias was not flipped to version {next.Version}.");
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes everything PostgreSQL keeps for a version that neither serves nor is staged (one drained after a
    /// rebuild): its log rows, shard heads, snapshot registrations, settings and staging record, in one transaction.
    /// Returns the log rows removed. The snapshot bytes are the snapshot store's to delete, before this.
    /// </summary>
    /// <exception cref="VersionConflictException">The version serves, or is staged (newer than the serving one).</exception>
    public async Task<long> DropVersionAsync(CollectionVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The alias row is locked, so a flip back to this version cannot land between the check and the removal.
        await LockAliasAsync(connection, transaction, version.Collection, cancellationToken).ConfigureAwait(false);
        await using (NpgsqlCommand serving = Command(connection, transaction, "SELECT version FROM krs_alias WHERE collection = $1 FOR UPDATE", version.Collection))
        {
            if (await serving.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long current || version.Version >= current)
            {
                throw new VersionConflictException($"version {version.Version} of '{version.Collection}' serves or is staged (or no version serves), so it is not dropped; only a version older than the serving one is.");
            }
        }

        long removed;
        await using (NpgsqlCommand rows = Command(connection, transaction, "DELETE FROM krs_log WHERE collection = $1 AND version = $2", version.Collection, version.Version))
        {
            removed = await rows.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (NpgsqlBatch rest = new(connection, transaction))
        {
            foreach (string table in new[] { "krs_shard_head", "krs_snapshot", "krs_version_settings", "krs_version" })
            {
                rest.BatchCommands.Add(Batched($"DELETE FROM {table} WHERE collection = $1 AND version = $2", version.Collection, version.Version));
            }

            await rest.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return removed;
    }

    /// <summary>
    /// Removes a staged version that never served (a rebuild that failed before its flip): its staging record, log
    /// rows, snapshot registrations and settings, in one transaction, so replicas stop following it. Its shard heads
    /// stay (at least shard 0's, without the log), as a deleted collection's do, so the next rebuild does not take its
    /// number (<see cref="FirstFreeVersionAsync"/>): a replica that missed the drop may still hold a store of it
    /// with rows applied, and would take a new version of that number for one it had partly applied. Returns the log
    /// rows removed. The snapshot bytes are the snapshot store's to delete, after this.
    /// </summary>
    /// <exception cref="VersionConflictException">The version is not staged, or it or a later version serves.</exception>
    public async Task<long> DropStagedVersionAsync(CollectionVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The alias row is locked, so a flip to this version cannot land between the check and the removal.
        await LockAliasAsync(connection, transaction, version.Collection, cancellationToken).ConfigureAwait(false);
        await using (NpgsqlCommand serving = Command(connection, transaction, "SELECT version FROM krs_alias WHERE collection = $1 FOR UPDATE", version.Collection))
        {
            if (await serving.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long current && version.Version <= current)
            {
                throw new VersionConflictException($"version {version.Version} of '{version.Collection}' serves or has served (version {current} serves now), so it is not dropped as a staged version.");
            }
        }

        await using (NpgsqlCommand unstage = Command(connection, transaction, "DELETE FROM krs_version WHERE collection = $1 AND version = $2", version.Collection, version.Version))
        {
            if (await unstage.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new VersionConflictException($"version {version.Version} of '{version.Collection}' is not staged, so it is not dropped.");
            }
        }

        long removed;
        await using (NpgsqlCommand rows = Command(connection, transaction, "DELETE FROM krs_log WHERE collection = $1 AND version = $2", version.Collection, version.Version))
        {
            removed = await rows.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (NpgsqlBatch rest = new(connection, transaction))
        {
            rest.BatchCommands.Add(Batched("INSERT INTO krs_shard_head (collection, version, shard) VALUES ($1, $2, 0) ON CONFLICT (collection, version, shard) DO NOTHING", version.Collection, version.Version));
            foreach (string table in new[] { "krs_snapshot", "krs_version_settings" })
            {
                rest.BatchCommands.Add(Batched($"DELETE FROM {table} WHERE collection = $1 AND version = $2", version.Collection, version.Version));
            }

            await rest.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return removed;
    }
}
