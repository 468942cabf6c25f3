using Npgsql;

namespace KrSbert.Cluster.WriteLog;

public sealed partial class PostgresWriteLog
{
    /// <summary>
    /// The version a new collection named <paramref name="collection"/> starts at: 1, or one past any version of a
    /// collection of that name deleted before. A replica may still hold a deleted version's local store, so a
    /// name created again never reuses its number.
    /// </summary>
    public async Task<long> FirstFreeVersionAsync(string collection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using NpgsqlCommand command = _dataSource.CreateCommand("""
            SELECT COALESCE(max(version), 0) + 1 FROM (
                SELECT version FROM krs_shard_head WHERE collection = $1
                UNION ALL SELECT version FROM krs_version WHERE collection = $1
                UNION ALL SELECT version FROM krs_alias WHERE collection = $1) AS used
            """);
        AddParameters(command.Parameters, collection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Whether this log shows <paramref name="collection"/> deleted as of <paramref name="version"/>: no alias names it,
    /// no version of it is staged, and a shard head of that version or a later one remains (a delete keeps them).
    /// A log that never knew the collection (empty, or restored from before it) answers false, so a replica pointed
    /// at it keeps its stores rather than treating a missing alias as a delete.
    /// </summary>
    public async Task<bool> IsDeletedAsync(string collection, long version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using NpgsqlCommand command = _dataSource.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM krs_shard_head WHERE collection = $1 AND version >= $2)
               AND NOT EXISTS (SELECT 1 FROM krs_alias WHERE collection = $1)
               AND NOT EXISTS (SELECT 1 FROM krs_version WHERE collection = $1)
            """);
        AddParameters(command.Parameters, collection, version);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Deletes <paramref name="collection"/> in one transaction: its alias, staged versions, recorded settings,
    /// snapshot registrations and log rows. Each shard head stays (a row per version, without the log), so the
    /// version numbers it used are not used again (<see cref="FirstFreeVersionAsync"/>). Returns false when no
    /// alias named it. Replicas drop their local stores of its versions when they next read the aliases.
    /// </summary>
    public async Task<bool> DeleteCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await LockAliasAsync(connection, transaction, collection, cancellationToken).ConfigureAwait(false);
        await using (NpgsqlCommand keep = Command(connection, transaction, """
            INSERT INTO krs_shard_head (collection, version, shard)
            SELECT collection, version, 0 FROM krs_alias WHERE collection = $1
            UNION SELECT collection, version, 0 FROM krs_version WHERE collection = $1
            ON CONFLICT (collection, version, shard) DO NOTHING
            """, collection))
        {
            await keep.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        int aliases;
        await using (NpgsqlCommand alias = Command(connection, transaction, "DELETE FROM krs_alias WHERE collection = $1", collection))
        {
            aliases = await alias.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (NpgsqlBatch rest = new(connection, transaction))
        {
            foreach (string table in (string[])["krs_version", "krs_version_settings", "krs_snapshot", "krs_log"])
            {
                rest.BatchCommands.Add(Batched($"DELETE FROM {table} WHERE collection = $1", collection));
            }

            await rest.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return aliases > 0;
    }
}
