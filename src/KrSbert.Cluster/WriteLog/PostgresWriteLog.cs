using System.Globalization;
using System.Text.Json;
using KrSbert.Cluster.Aliases;
using Npgsql;
using NpgsqlTypes;

namespace KrSbert.Cluster.WriteLog;

/// <summary>
/// The cluster's durable, ordered write log in PostgreSQL, and its source of truth: per collection version and
/// shard, a gapless sequence of changes (<c>krs_log</c>), the serving version of each collection
/// (<c>krs_alias</c>) and the snapshots builders registered (<c>krs_snapshot</c>). PostgreSQL being unreachable
/// surfaces as <see cref="NpgsqlException"/>, which hosts answer as unavailable.
/// </summary>
public sealed partial class PostgresWriteLog
{
    /// <summary>The channel an append NOTIFYs after its commit (payload: <see cref="LogAppendNotice.Payload"/>).</summary>
    public const string NotificationChannel = "krs_log";

    private readonly NpgsqlDataSource _dataSource;

    private PostgresWriteLog(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    /// <summary>A log over <paramref name="dataSource"/> (owned by the caller), its tables created when missing.</summary>
    public static async Task<PostgresWriteLog> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var log = new PostgresWriteLog(dataSource);
        await log.CreateSchemaAsync(cancellationToken).ConfigureAwait(false);
        return log;
    }

    /// <summary>
    /// Appends one shard's batch in one transaction and returns the sequences it took. An advisory lock per
    /// (collection, version, shard) serialises appenders, so sequences have no gaps and commit in order: a reader
    /// that has seen sequence s has seen every row below it. Only the serving version and staged versions take
    /// rows, checked under a share lock on the collection's alias that an alias flip waits for.
    /// </summary>
    /// <exception cref="ArgumentException">An empty batch, or a document that belongs to another shard.</exception>
    /// <exception cref="VersionNotWritableException">The version neither serves nor is staged (newer than the serving one).</exception>
    public async Task<LogAppendResult> AppendAsync(CollectionVersion version, int shard, IReadOnlyList<LogEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(entries);
        CheckShard(version, shard);
        if (entries.Count == 0)
        {
            throw new ArgumentException("the batch is empty.", nameof(entries));
        }

        foreach (LogEntry entry in entries)
        {
            int owner = version.Shards.ShardOf(entry.DocumentId);
            if (owner != shard)
            {
                throw new ArgumentException($"document '{entry.DocumentId}' belongs to shard {owner}, not {shard}.", nameof(entries));
            }
        }

        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The collection's alias lock is held shared until the commit, so an alias flip, a drop or a delete (which
        // take it exclusive) waits for appends in flight, and an append after it reads the new serving version: no
        // row reaches a version after its drain pass, and none reaches a deleted collection. The lock comes first and
        // the read in a statement of its own, so the read's snapshot is taken after any flip it waited for.
        await using (NpgsqlBatch writable = new(connection, transaction))
        {
            writable.BatchCommands.Add(AliasLock(version.Collection, exclusive: false));
            writable.BatchCommands.Add(Batched("""
                SELECT a.version, EXISTS (SELECT 1 FROM krs_version v WHERE v.collection = a.collection AND v.version = $2 AND v.version > a.version)
                FROM krs_alias a WHERE a.collection = $1
                """, version.Collection, version.Version));
            await using NpgsqlDataReader reader = await writable.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            long? serving = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetInt64(0) : null;
            if (serving is not { } current || (current != version.Version && !reader.GetBoolean(1)))
            {
                throw new VersionNotWritableException(version.Collection, version.Version, serving);
            }
        }

        string lockKey = Invariant($"krs_log/{version.Collection}/{version.Version}/{shard}");
        await using (NpgsqlCommand lockShard = Command(connection, transaction, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", lockKey))
        {
            await lockShard.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        long head;
        await using (NpgsqlCommand readHead = Command(connection, transaction, """
            INSERT INTO krs_shard_head AS h (collection, version, shard) VALUES ($1, $2, $3)
            ON CONFLICT (collection, version, shard) DO UPDATE SET seq = h.seq RETURNING h.seq
            """, version.Collection, version.Version, shard))
        {
            head = (long)(await readHead.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await using (NpgsqlBatch batch = new(connection, transaction))
        {
            long sequence = head;
            foreach (LogEntry entry in entries)
            {
                batch.BatchCommands.Add(Insert(version, shard, ++sequence, entry));
            }

            batch.BatchCommands.Add(Batched("UPDATE krs_shard_head SET seq = $4 WHERE collection = $1 AND version = $2 AND shard = $3", version.Collection, version.Version, shard, sequence));
            var notice = new LogAppendNotice(version.Collection, version.Version, shard, sequence);
            batch.BatchCommands.Add(Batched("SELECT pg_notify($1, $2)", NotificationChannel, notice.Payload));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new LogAppendResult(shard, head + 1, head + entries.Count);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> rows of a shard after sequence <paramref name="after"/>, in sequence order:
    /// how a replica tails the log from what it has applied.
    /// </summary>
    /// <exception cref="LogCompactedException">Rows after <paramref name="after"/> were compacted away: load a snapshot.</exception>
    public async Task<IReadOnlyList<LogRecord>> ReadAfterAsync(CollectionVersion version, int shard, long after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        CheckShard(version, shard);
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One snapshot for the compaction mark and the rows, so a compaction between them cannot hide a gap.
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (NpgsqlCommand mark = Command(connection, transaction, "SELECT compacted_through FROM krs_shard_head WHERE collection = $1 AND version = $2 AND shard = $3", version.Collection, version.Version, shard))
        {
            if (await mark.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long compacted && after < compacted)
            {
                throw new LogCompactedException(shard, after, compacted);
            }
        }

        var records = new List<LogRecord>();
        await using NpgsqlCommand read = Command(connection, transaction, """
            SELECT seq, op, doc_id, text, metadata::text, model_id, chunks FROM krs_log
            WHERE collection = $1 AND version = $2 AND shard = $3 AND seq > $4 ORDER BY seq LIMIT $5
            """, version.Collection, version.Version, shard, after, limit);
        await using NpgsqlDataReader reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var operation = (LogOperation)reader.GetInt16(1);
            Dictionary<string, string>? metadata = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4));
            List<LogChunk> chunks = reader.IsDBNull(6) ? [] : LogChunkCodec.Decode(reader.GetFieldValue<byte[]>(6));
            records.Add(new LogRecord(reader.GetInt64(0), LogEntry.Read(
                operation, reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), metadata, reader.IsDBNull(5) ? null : reader.GetString(5), chunks)));
        }

        return records;
    }

    /// <summary>Starts LISTENing for append notices on a connection of its own, which the listener owns.</summary>
    public Task<LogListener> ListenAsync(CancellationToken cancellationToken = default) => LogListener.StartAsync(_dataSource, cancellationToken);

    /// <summary>The last sequence appended to a shard (0 before the first append).</summary>
    public async Task<long> HeadAsync(CollectionVersion version, int shard, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        CheckShard(version, shard);
        await using NpgsqlCommand command = _dataSource.CreateCommand("SELECT seq FROM krs_shard_head WHERE collection = $1 AND version = $2 AND shard = $3");
        AddParameters(command.Parameters, version.Collection, version.Version, shard);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long head ? head : 0;
    }

    private static void CheckShard(CollectionVersion version, int shard)
    {
        if (shard < 0 || shard >= version.Shards.ShardCount)
        {
            throw new ArgumentOutOfRangeException(nameof(shard), shard, $"shard is {shard}; collection '{version.Collection}' version {version.Version} has shards 0 to {version.Shards.ShardCount - 1}.");
        }
    }

    private static NpgsqlBatchCommand Insert(CollectionVersion version, int shard, long sequence, LogEntry entry)
    {
        var command = new NpgsqlBatchCommand("""
            INSERT INTO krs_log (collection, version, shard, seq, op, doc_id, text, metadata, model_id, chunks)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """);
        AddParameters(command.Parameters, version.Collection, version.Version, shard, sequence, (short)entry.Operation, entry.DocumentId);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)entry.Text ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = entry.Metadata is null ? DBNull.Value : JsonSerializer.Serialize(entry.Metadata) });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)entry.ModelId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = entry.Chunks.Count == 0 ? DBNull.Value : LogChunkCodec.Encode(entry.Chunks) });
        return command;
    }

    /// <summary>
    /// The collection's alias lock, for the rest of the transaction: shared by appends, exclusive for what changes
    /// which versions take writes (a flip, a drop, a delete). An advisory lock rather than the alias row's lock:
    /// PostgreSQL queues a shared request behind a waiting exclusive one here, so a steady stream of appends cannot
    /// starve a flip, as share locks on the row would.
    /// </summary>
    private static NpgsqlBatchCommand AliasLock(string collection, bool exclusive) =>
        Batched(exclusive ? "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))" : "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))", "krs_alias/" + collection);

    /// <summary>Takes the collection's alias lock exclusive for the rest of <paramref name="transaction"/> (see <see cref="AliasLock"/>).</summary>
    private static async Task LockAliasAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = new(connection, transaction) { BatchCommands = { AliasLock(collection, exclusive: true) } };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        AddParameters(command.Parameters, values);
        return command;
    }

    private static NpgsqlBatchCommand Batched(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        AddParameters(command.Parameters, values);
        return command;
    }

    private static void AddParameters(NpgsqlParameterCollection parameters, params object[] values)
    {
        foreach (object value in values)
        {
            parameters.Add(new NpgsqlParameter { Value = value });
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
