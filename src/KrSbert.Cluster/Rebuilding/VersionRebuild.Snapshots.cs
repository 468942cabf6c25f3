using KrSbert.Cluster.Writing;
using KrSbert.Cluster.WriteLog;
using KrSbert.Storage;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Cluster.Rebuilding;

public sealed partial class VersionRebuild
{
    /// <summary>
    /// Appends the documents of <paramref name="shard"/>'s newest verified snapshot (text, metadata, chunks with their
    /// token ids and vectors, as stored) to the target, re-sharded, as upserts. Returns the documents appended and
    /// the log sequence the snapshot holds everything through (its collection's applied sequence, which may be past
    /// the registration's), after which the log is read on.
    /// </summary>
    /// <exception cref="LogCompactedException">No registered snapshot of the shard verifies.</exception>
    private async Task<(long Documents, long Through)> CopySnapshotAsync(ShardedLogWriter writer, int shard, int batchSize, LogCompactedException compacted, CancellationToken cancellationToken)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"krsbert-rebuild-snapshot-{Guid.NewGuid():N}");
        string database = Path.Combine(folder, "krsbert.db");
        try
        {
            if (await _options.Snapshots!.RestoreNewestVerifiedAsync(Source, shard, database, cancellationToken).ConfigureAwait(false) is null)
            {
                throw new LogCompactedException(shard, 0, compacted.CompactedThrough);
            }

            using DocumentStore store = DocumentStore.Open(database);
            CollectionRecord record = store.GetCollection(Source.StoreName)
                ?? throw new InvalidDataException($"the snapshot of shard {shard} of version {Source.Version} of '{Source.Collection}' holds no collection '{Source.StoreName}'.");
            if (record.SourceSequence < compacted.CompactedThrough)
            {
                // Compaction passed this snapshot too (a newer one was registered meanwhile): the rows between are gone.
                throw new LogCompactedException(shard, record.SourceSequence, compacted.CompactedThrough);
            }

            // The scan leaves vectors out; they are read a batch at a time with the documents.
            List<string> ids = [.. store.ScanDocuments(Source.StoreName).Select(d => d.Id)];
            long documents = 0;
            foreach (string[] batch in ids.Chunk(batchSize))
            {
                IReadOnlyList<StoredDocument> stored = store.GetDocuments(Source.StoreName, batch, withVectors: true);
                await AppendAsync(writer, [.. stored.Select(Entry)], cancellationToken).ConfigureAwait(false);
                documents += stored.Count;
            }

            return (documents, record.SourceSequence);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>A stored document as the upsert a router would have logged: the source's model when its chunks carry token ids, none for vectors its writer gave.</summary>
    private LogEntry Entry(StoredDocument document) => LogEntry.Upsert(
        document.Id,
        document.Text,
        document.Metadata,
        document.Chunks.All(c => c.TokenIds.Length == 0) ? null : _sourceModel,
        [.. document.Chunks.Select(c => new LogChunk(c.Start, c.End, c.TokenIds, c.Vector))]);
}
