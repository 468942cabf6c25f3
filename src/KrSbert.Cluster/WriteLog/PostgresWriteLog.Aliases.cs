using KrSbert.Cluster.Aliases;
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

    /// <summary>Makes <paramref name="version"/> serve its collection (the alias flip after a rebuild).</summary>
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
}
