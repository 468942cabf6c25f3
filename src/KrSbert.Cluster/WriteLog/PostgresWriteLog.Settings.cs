using System.Text.Json;
using KrSbert.Cluster.Aliases;
using KrSbert.Storage.Collections;
using Npgsql;
using NpgsqlTypes;

namespace KrSbert.Cluster.WriteLog;

public sealed partial class PostgresWriteLog
{
    /// <summary>
    /// Records what <paramref name="version"/> is built with (metric, pooling, HNSW parameters, chunking, BM25), so
    /// every replica and router creates its local collection alike; written before the alias makes the version serve.
    /// </summary>
    public async Task SetSettingsAsync(CollectionVersion version, CollectionSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(settings);
        await using NpgsqlCommand command = _dataSource.CreateCommand("""
            INSERT INTO krs_version_settings (collection, version, settings) VALUES ($1, $2, $3)
            ON CONFLICT (collection, version) DO UPDATE SET settings = EXCLUDED.settings
            """);
        AddParameters(command.Parameters, version.Collection, version.Version);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(settings) });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What <paramref name="version"/> is built with, or null when none was recorded (a version made before settings were kept: the defaults apply).</summary>
    public async Task<CollectionSettings?> ReadSettingsAsync(CollectionVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        await using NpgsqlCommand command = _dataSource.CreateCommand("SELECT settings::text FROM krs_version_settings WHERE collection = $1 AND version = $2");
        AddParameters(command.Parameters, version.Collection, version.Version);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json
            ? JsonSerializer.Deserialize<CollectionSettings>(json)
            : null;
    }
}
