using KrSbert.Cluster.Aliases;
using Npgsql;

namespace KrSbert.Cluster.Tests.WriteLog;

/// <summary>What PostgreSQL holds for one collection version, table by table, read with plain SQL rather than through the write log under test.</summary>
public static class VersionRows
{
    private static readonly string[] s_tables = ["krs_version", "krs_version_settings", "krs_log", "krs_shard_head", "krs_snapshot"];

    /// <summary>Each table holding rows of <paramref name="version"/>, with its count; empty when nothing of the version is left.</summary>
    public static async Task<Dictionary<string, long>> CountAsync(NpgsqlDataSource database, CollectionVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(version);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string table in s_tables)
        {
            await using NpgsqlCommand command = database.CreateCommand($"SELECT count(*) FROM {table} WHERE collection = $1 AND version = $2");
            command.Parameters.Add(new NpgsqlParameter { Value = version.Collection });
            command.Parameters.Add(new NpgsqlParameter { Value = version.Version });
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long count and > 0)
            {
                counts[table] = count;
            }
        }

        return counts;
    }
}
