using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.WriteLog;
using KrSbert.Search;
using KrSbert.Storage.Documents;

namespace KrSbert.Cluster.Replication;

/// <summary>
/// Feeds one shard of a collection version from the write log into a replica's local collection (stored under
/// <see cref="CollectionVersion.StoreName"/>): each batch of log rows and its last sequence commit in one local
/// transaction, so a batch delivered twice changes nothing and a restarted replica goes on from what it committed.
/// Rows arrive embedded; the replica never embeds.
/// </summary>
public sealed class ShardApplier
{
    private readonly SearchEngine _engine;
    private readonly CollectionVersion _version;

    /// <summary>An applier for <paramref name="shard"/> of <paramref name="version"/>, starting from the sequence the local collection has applied.</summary>
    /// <exception cref="Storage.Collections.CollectionNotFoundException">The replica has no local collection for the version.</exception>
    public ShardApplier(SearchEngine engine, CollectionVersion version, int shard)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(version);
        if (shard < 0 || shard >= version.Shards.ShardCount)
        {
            throw new ArgumentOutOfRangeException(nameof(shard), shard, $"shard is {shard}; collection '{version.Collection}' version {version.Version} has shards 0 to {version.Shards.ShardCount - 1}.");
        }

        (_engine, _version, Shard) = (engine, version, shard);
        Applied = new AppliedSequence(version.Version, shard, engine.SourceSequence(version.StoreName));
    }

    /// <summary>The shard fed.</summary>
    public int Shard { get; }

    /// <summary>The log sequence applied locally; reads with a consistency token wait on it.</summary>
    public AppliedSequence Applied { get; }

    /// <summary>
    /// Applies <paramref name="records"/> (ascending, as the log returns them). Rows at or below the applied
    /// sequence are skipped; the rest must follow it without a gap. Returns the rows applied.
    /// </summary>
    /// <exception cref="InvalidOperationException">The rows do not follow the applied sequence: one is missing.</exception>
    public async Task<int> ApplyAsync(IReadOnlyList<LogRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        long applied = Applied.Applied;
        List<LogRecord> fresh = [.. records.Where(r => r.Sequence > applied)];
        if (fresh.Count == 0)
        {
            return 0;
        }

        for (int i = 0; i < fresh.Count; i++)
        {
            if (fresh[i].Sequence != applied + 1 + i)
            {
                throw new InvalidOperationException($"shard {Shard} has applied sequence {applied + i}; the next log row given is {fresh[i].Sequence}, so a row is missing.");
            }
        }

        List<DocumentWrite> writes = [.. fresh.Select(r => Write(r.Entry))];
        long last = fresh[^1].Sequence;
        await _engine.ApplySourceBatchAsync(_version.StoreName, writes, last, cancellationToken).ConfigureAwait(false);
        Applied.Advance(last);
        return fresh.Count;
    }

    /// <summary>Reads and applies the log after the applied sequence, <paramref name="batchSize"/> rows at a time, up to its head. Returns the rows applied.</summary>
    /// <exception cref="LogCompactedException">The rows after the applied sequence were compacted: the replica must load a newer snapshot.</exception>
    public async Task<long> CatchUpAsync(PostgresWriteLog log, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        long total = 0;
        while (true)
        {
            IReadOnlyList<LogRecord> records = await log.ReadAfterAsync(_version, Shard, Applied.Applied, batchSize, cancellationToken).ConfigureAwait(false);
            if (records.Count == 0)
            {
                return total;
            }

            total += await ApplyAsync(records, cancellationToken).ConfigureAwait(false);
        }
    }

    private static DocumentWrite Write(LogEntry entry) => entry.Operation switch
    {
        LogOperation.Upsert => new DocumentWrite.Upsert(
            entry.DocumentId,
            entry.Text ?? "",
            entry.Metadata ?? new Dictionary<string, string>(),
            [.. entry.Chunks.Select(c => new StoredChunk(c.Start, c.End, c.TokenIds, c.Vector))]),
        LogOperation.Delete => new DocumentWrite.Delete(entry.DocumentId),
        _ => throw new InvalidOperationException($"log row for document '{entry.DocumentId}' has operation {(int)entry.Operation}, which this server does not know."),
    };
}
