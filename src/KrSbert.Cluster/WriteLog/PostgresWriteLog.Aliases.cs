using System.Text.Json;
using KrSbert.Cluster.Aliases;
using KrSbert.Storage.Collections;
using Npgsql;

namespace KrSbert.Cluster.WriteLog;

public sealed partial class PostgresWriteLog
{
    /// <summary>The serving version of every collection, as <c>krs_alias</c> holds them now.</summary>
    public async Task<AliasTable> ReadAliasesAsync(CancellationToken cancellationToken = default)
    {
        var versions = new List<CollectionVersion>();
        await using NpgsqlCommand command = _dataSource.CreateCommand("SELECT collection, version, shard_count FROM krs_alias ORDER BY collection");
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(new CollectionVersion(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2)));
        }

        return new AliasTable(versions);
    }

    /// <summary>
    /// Makes <paramref name="version"/> serve its collection whatever served before, replacing it. A new collection
    /// is made with <see cref="CreateAliasAsync"/>, which never replaces one, and a rebuild flips with
    /// <see cref="FlipAliasAsync"/>, which checks the version it replaces.
    /// </summary>
    public async Task SetAliasAsync(CollectionVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        await using NpgsqlCommand command = _dataSource.CreateCommand("""
            INSERT INTO krs_alias (collection, version, shard_count) VALUES ($1, $2, $3)
            ON CONFLICT (collection) DO UPDATE SET version = EXCLUDED.version, shard_count = EXCLUDED.shard_count
            """);
        AddParameters(command.Parameters, version.Collection, version.Version, version.Shards.ShardCount);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes <paramref name="version"/>, the first version of a new collection, serve, with the settings it is built
    /// with, in one transaction, only when no version of the collection serves: of creates racing for one name,
    /// one wins and the others change nothing (an upsert would swap a live collection for an empty one).
    /// </summary>
    /// <exception cref="CollectionExistsException">A version of the collection serves (another create won).</exception>
    /// <exception cref="VersionConflictException">The version was used since it was picked (<see cref="FirstFreeVersionAsync"/>), by a collection of the name made and deleted meanwhile.</exception>
    public async Task CreateAliasAsync(CollectionVersion version, CollectionSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(settings);
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // A racing create's insert of the same name waits here for this one's commit, then does nothing.
        await using (NpgsqlCommand insert = Command(connection, transaction, """
            INSERT INTO krs_alias (collection, version, shard_count) VALUES ($1, $2, $3)
            ON CONFLICT (collection) DO NOTHING
            """, version.Collection, version.Version, version.Shards.ShardCount))
        {
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new CollectionExistsException(version.Collection);
            }
        }

        // Shard heads and staging records outlive a deleted collection, so a number they hold is not used again.
        await using (NpgsqlCommand used = Command(connection, transaction, """
            SELECT EXISTS (SELECT 1 FROM krs_shard_head WHERE collection = $1 AND version >= $2)
                OR EXISTS (SELECT 1 FROM krs_version WHERE collection = $1 AND version >= $2)
            """, version.Collection, version.Version))
        {
            if ((bool)(await used.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                throw new VersionConflictException($"version {version.Version} of '{version.Collection}' was used since it was picked (a collection of that name was made and deleted meanwhile); create it again.");
            }
        }

        // In the same transaction: a replica that sees the alias finds the settings and creates its shard alike.
        await using (NpgsqlCommand record = Command(connection, transaction, """
            INSERT INTO krs_version_settings (collection, version, settings) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (collection, version) DO UPDATE SET settings = EXCLUDED.settings
            """, version.Collection, version.Version, JsonSerializer.Serialize(settings)))
        {
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
