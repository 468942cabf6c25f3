using KrSbert.Storage.Backups;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using KrSbert.Storage.Snapshots;

namespace KrSbert.Storage;

/// <summary>
/// The store of truth as the search engine sees it: collections, documents with their chunk vectors, each
/// collection's change log and its index snapshots. Writes are atomic batches that get gapless sequence
/// numbers. <see cref="DocumentStore"/> (LiteDB) is the implementation.
/// </summary>
public interface IDocumentStore : IDisposable
{
    /// <summary>Where the data lives, for messages and health.</summary>
    string Path { get; }

    /// <summary>Whether the last write reached the disk; false while writes fail (a full disk, an I/O error).</summary>
    bool WritesAvailable { get; }

    /// <summary>Raised when <see cref="WritesAvailable"/> changes.</summary>
    event EventHandler? WritesAvailableChanged;

    /// <summary>Creates a collection.</summary>
    Task<CollectionRecord> CreateCollectionAsync(string name, CollectionSettings settings, CancellationToken cancellationToken = default);

    /// <summary>The collection called <paramref name="name"/>, or null.</summary>
    CollectionRecord? GetCollection(string name);

    /// <summary>Every collection, by name.</summary>
    IReadOnlyList<CollectionRecord> ListCollections();

    /// <summary>Deletes a collection with everything in it; false when it did not exist.</summary>
    Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Publishes collection <paramref name="replacement"/> under the name <paramref name="name"/> in one step.</summary>
    Task<CollectionRecord> ReplaceCollectionAsync(string name, string replacement, CancellationToken cancellationToken = default);

    /// <summary>Applies a batch atomically and answers once it is durable.</summary>
    Task<BatchResult> ApplyBatchAsync(string collection, IReadOnlyList<DocumentWrite> batch, CancellationToken cancellationToken = default);

    /// <summary>Applies a batch atomically and answers once it is committed, with a task that completes when it is durable.</summary>
    Task<CommittedBatch> ApplyBatchCommittedAsync(string collection, IReadOnlyList<DocumentWrite> batch, CancellationToken cancellationToken = default);

    /// <summary>The documents with these ids (missing ids are left out), with their vectors when asked.</summary>
    IReadOnlyList<StoredDocument> GetDocuments(string collection, IEnumerable<string> ids, bool withVectors = true);

    /// <summary>The documents with these keys, in the order asked (missing keys are left out), without vectors.</summary>
    IReadOnlyList<StoredDocument> GetDocumentsByKey(string collection, IEnumerable<long> keys);

    /// <summary>The text of each document with one of these keys (missing keys are left out), read in one indexed lookup.</summary>
    IReadOnlyDictionary<long, string> GetTextsByKey(string collection, IReadOnlyCollection<long> keys);

    /// <summary>Every document without vectors, in key order.</summary>
    IEnumerable<StoredDocument> ScanDocuments(string collection);

    /// <summary>Every stored chunk vector with its key.</summary>
    IEnumerable<(ulong Key, float[] Vector)> ScanVectors(string collection);

    /// <summary>The vectors of these chunk keys (missing ones are left out).</summary>
    IReadOnlyList<(ulong Key, float[] Vector)> GetVectors(string collection, IEnumerable<ulong> keys);

    /// <summary>The change log after <paramref name="sequence"/>, in order.</summary>
    IReadOnlyList<ChangeRecord> ReadChangesAfter(string collection, long sequence);

    /// <summary>Publishes a snapshot of a collection's derived state taken at <paramref name="sequence"/>.</summary>
    Task<SnapshotRecord> SaveSnapshotAsync(string collection, long sequence, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>A collection's snapshot generations, newest first.</summary>
    IReadOnlyList<SnapshotRecord> ListSnapshots(string collection);

    /// <summary>A snapshot's bytes, checked against its checksum.</summary>
    byte[] ReadSnapshot(SnapshotRecord snapshot);

    /// <summary>Streams a consistent copy of the whole store to <paramref name="write"/> while it keeps serving.</summary>
    Task<StoreBackup> BackupAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a batch from an outside ordered source (a cluster shard's write log) atomically with its last sequence
    /// <paramref name="sourceSequence"/>: when the collection has already applied that sequence, nothing is written
    /// and the result holds no changes, so a batch delivered twice is applied once.
    /// </summary>
    Task<CommittedBatch> ApplySourceBatchCommittedAsync(string collection, IReadOnlyList<DocumentWrite> batch, long sourceSequence, CancellationToken cancellationToken = default);
}
