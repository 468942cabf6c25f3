using Npgsql;

namespace KrSbert.Cluster.WriteLog;

public sealed partial class PostgresWriteLog
{
    /// <summary>
    /// The tables, created when missing. <c>krs_shard_head</c> keeps each shard's last sequence apart from the rows,
    /// so compaction can remove every row and the next append still continues the sequence, and it records how far
    /// compaction went, so a reader behind it is told to load a snapshot instead of silently skipping rows.
    /// </summary>
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS krs_alias (
            collection text PRIMARY KEY,
            version bigint NOT NULL CHECK (version >= 1),
            shard_count integer NOT NULL CHECK (shard_count >= 1));
        CREATE TABLE IF NOT EXISTS krs_shard_head (
            collection text NOT NULL,
            version bigint NOT NULL,
            shard integer NOT NULL,
            seq bigint NOT NULL DEFAULT 0,
            compacted_through bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (collection, version, shard));
        CREATE TABLE IF NOT EXISTS krs_log (
            collection text NOT NULL,
            version bigint NOT NULL,
            shard integer NOT NULL,
            seq bigint NOT NULL,
            op smallint NOT NULL CHECK (op IN (1, 2)),
            doc_id text NOT NULL,
            text text,
            metadata jsonb,
            model_id text,
            chunks bytea,
            appended_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (collection, version, shard, seq));
        CREATE TABLE IF NOT EXISTS krs_snapshot (
            collection text NOT NULL,
            version bigint NOT NULL,
            shard integer NOT NULL,
            seq bigint NOT NULL,
            location text NOT NULL,
            sha256 bytea NOT NULL CHECK (length(sha256) = 32),
            registered_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (collection, version, shard, seq));
        CREATE TABLE IF NOT EXISTS krs_version (
            collection text NOT NULL,
            version bigint NOT NULL CHECK (version >= 1),
            shard_count integer NOT NULL CHECK (shard_count >= 1),
            staged_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (collection, version));
        CREATE TABLE IF NOT EXISTS krs_version_settings (
            collection text NOT NULL,
            version bigint NOT NULL,
            settings jsonb NOT NULL,
            PRIMARY KEY (collection, version));
        """;

    private async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Concurrent CREATE TABLE IF NOT EXISTS can still collide on the catalog; one lock makes starting hosts take turns.
        await using (var lockSchema = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('krs_schema', 0))", connection, transaction))
        {
            await lockSchema.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var create = new NpgsqlCommand(Schema, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
