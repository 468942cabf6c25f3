using System.Diagnostics;
using KrSbert.Index;
using KrSbert.Storage;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using KrSbert.Storage.Snapshots;
using Microsoft.Extensions.Logging;

namespace KrSbert.Search.Indexing;

/// <summary>
/// One open collection's derived state: its HNSW index and document catalog, and the sequence number they
/// reflect. The store is the truth; this is loaded from the newest valid snapshot and the change log after
/// it, or rebuilt from stored vectors. Writes to it are serialised by <see cref="WriteLock"/> so changes apply
/// in sequence order; queries run concurrently with them.
/// </summary>
internal sealed class CollectionIndex : IDisposable
{
    private readonly ReaderWriterLockSlim _swapLock = new();
    private readonly ILogger _logger;
    private HnswIndex _index;
    private long _appliedSequence;
    private int _changesSinceSnapshot;
    private long _skippedDocuments;
    private bool _deleted;

    private CollectionIndex(CollectionRecord record, HnswIndex index, DocumentCatalog catalog, long appliedSequence, SnapshotRecord? snapshot, ILogger logger)
    {
        Record = record;
        _index = index;
        _logger = logger;
        Catalog = catalog;
        _appliedSequence = appliedSequence;
        SnapshotSequence = snapshot?.Sequence ?? 0;
        SnapshotAt = snapshot?.CreatedAt;
    }

    /// <summary>The collection as last written.</summary>
    public CollectionRecord Record { get; set; }

    public string Name => Record.Name;

    public DocumentCatalog Catalog { get; }

    /// <summary>Held while a batch is written to the store and applied here, and while a snapshot is taken.</summary>
    public SemaphoreSlim WriteLock { get; } = new(1, 1);

    public long AppliedSequence => Interlocked.Read(ref _appliedSequence);

    public long SnapshotSequence { get; private set; }

    public DateTime? SnapshotAt { get; private set; }

    public int ChangesSinceSnapshot => Volatile.Read(ref _changesSinceSnapshot);

    /// <summary>
    /// Stored documents the index refused (data written by an older version that broke today's vector rules),
    /// counted since the collection opened or was last rebuilt. They stay in the store; queries cannot find them.
    /// </summary>
    public long SkippedDocuments => Interlocked.Read(ref _skippedDocuments);

    /// <summary>Background snapshot or rebuild under way (at most one at a time).</summary>
    public Task? Background { get; set; }

    public int Count => Read(index => index.Count);

    public long RemovedCount => Read(index => index.RemovedCount);

    /// <summary>Loads the newest valid snapshot and replays the log after it, or rebuilds from stored vectors.</summary>
    public static CollectionIndex Open(DocumentStore store, CollectionRecord record, ILogger logger)
    {
        long started = Stopwatch.GetTimestamp();

        // The catalog scan and the snapshot load read different data: they run side by side.
        DocumentCatalog? catalog = null;
        (HnswIndex Index, SnapshotRecord Snapshot)? loaded = null;
        Parallel.Invoke(
            () => catalog = DocumentCatalog.Load(store.ScanDocuments(record.Name)),
            () => loaded = LoadNewestSnapshot(store, record, logger));

        if (loaded is { } snapshot)
        {
            var collection = new CollectionIndex(record, snapshot.Index, catalog!, snapshot.Snapshot.Sequence, snapshot.Snapshot, logger);
            try
            {
                int replayed = collection.Replay(store, store.ReadChangesAfter(record.Name, snapshot.Snapshot.Sequence));
                Log.CollectionOpened(logger, record.Name, collection.Count, $"snapshot generation {snapshot.Snapshot.Generation}", replayed, collection.AppliedSequence, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return collection;
            }
            catch
            {
                collection.Dispose();
                throw;
            }
        }

        return FromStoredVectors(store, record, catalog!, logger, progress: null, started);
    }

    /// <summary>Opens the collection from its stored documents and vectors alone, ignoring snapshots and the change log.</summary>
    public static CollectionIndex Rebuild(DocumentStore store, CollectionRecord record, ILogger logger, IProgress<long>? progress = null)
    {
        long started = Stopwatch.GetTimestamp();
        DocumentCatalog catalog = DocumentCatalog.Load(store.ScanDocuments(record.Name));
        return FromStoredVectors(store, record, catalog, logger, progress, started);
    }

    private static CollectionIndex FromStoredVectors(DocumentStore store, CollectionRecord record, DocumentCatalog catalog, ILogger logger, IProgress<long>? progress, long started)
    {
        (HnswIndex rebuilt, long skipped) = Build(store, record, logger, progress);
        Log.CollectionOpened(logger, record.Name, rebuilt.Count, "stored vectors", 0, record.Sequence, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new CollectionIndex(record, rebuilt, catalog, record.Sequence, snapshot: null, logger) { _skippedDocuments = skipped };
    }

    /// <summary>The newest snapshot generation that passes its checksums and fits the collection, or null.</summary>
    private static (HnswIndex, SnapshotRecord)? LoadNewestSnapshot(DocumentStore store, CollectionRecord record, ILogger logger)
    {
        HnswOptions options = IndexSettings.Options(record.Settings);
        foreach (SnapshotRecord snapshot in store.ListSnapshots(record.Name))
        {
            HnswIndex? index = null;
            try
            {
                using var bytes = new MemoryStream(store.ReadSnapshot(snapshot), writable: false);
                index = HnswIndex.Load(bytes);
                if (index.Options.Dimensions != options.Dimensions || index.Options.Metric != options.Metric)
                {
                    throw new InvalidDataException($"it holds {index.Options.Dimensions}-dimension {index.Options.Metric} vectors; the collection is {options.Dimensions}-dimension {options.Metric}");
                }

                return (index, snapshot);
            }
            catch (Exception e) when (e is SnapshotCorruptException or IndexSnapshotCorruptException or InvalidDataException or EndOfStreamException)
            {
                index?.Dispose();
                Log.SnapshotUnusable(logger, record.Name, snapshot.Generation, e.Message);
            }
        }

        return null;
    }

    /// <summary>
    /// A fresh index of every stored vector (a rebuild compacts removed entries away). Vectors the index refuses
    /// are logged and skipped, and their documents counted: a rebuild never fails on old data.
    /// </summary>
    public static (HnswIndex Index, long SkippedDocuments) Build(DocumentStore store, CollectionRecord record, ILogger logger, IProgress<long>? progress = null)
    {
        long started = Stopwatch.GetTimestamp();
        HnswOptions options = IndexSettings.Options(record.Settings);
        HnswIndex index = HnswIndex.Create(options);
        try
        {
            long added = 0;
            var skipped = new HashSet<long>();
            foreach ((ulong key, float[] vector) in store.ScanVectors(record.Name))
            {
                if (Refuses(options, record.Name, key, vector, logger))
                {
                    skipped.Add(DocumentKeys.DocumentKey(key));
                    continue;
                }

                index.Add(key, vector);
                if (++added % 1024 == 0)
                {
                    progress?.Report(added);
                }
            }

            progress?.Report(added);
            Log.IndexRebuilt(logger, record.Name, index.Count, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return (index, skipped.Count);
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>Whether the index refuses a stored vector; the refusal is logged with the document it belongs to.</summary>
    private static bool Refuses(HnswOptions options, string collection, ulong key, float[] vector, ILogger logger)
    {
        if (VectorRules.Violation(vector, options.Dimensions, options.Metric) is not { } violation)
        {
            return false;
        }

        Log.VectorSkipped(logger, collection, DocumentKeys.DocumentKey(key), DocumentKeys.ChunkIndex(key), violation);
        return true;
    }

    /// <summary>
    /// Applies a committed batch: for each change, the document's previous chunks leave the index and, for an
    /// upsert, its new ones (from the batch in memory) enter. Call with <see cref="WriteLock"/> held.
    /// </summary>
    public void Apply(BatchResult result, IReadOnlyList<DocumentWrite> batch)
    {
        // Exclusive against queries, so a query sees the index and the catalog at one sequence number.
        Write(index =>
        {
            // New vectors are added together at the end, on every core; a later change in the batch
            // that removes a document's chunks also drops its still-pending ones.
            var pending = new Dictionary<ulong, float[]>();
            for (int i = 0; i < result.Changes.Count; i++)
            {
                ChangeRecord change = result.Changes[i];
                RemoveChunks(index, change);
                for (int chunk = 0; chunk < change.PreviousChunkCount; chunk++)
                {
                    pending.Remove(DocumentKeys.ChunkKey(change.DocumentKey, chunk));
                }

                if (batch[result.OperationIndexes[i]] is DocumentWrite.Upsert upsert)
                {
                    // The catalog entry comes first: a query that finds a new chunk can always hydrate it.
                    Catalog.Put(change.DocumentKey, new CatalogEntry(upsert.Id, upsert.Metadata, [.. upsert.Chunks.Select(c => (c.Start, c.End))]));
                    for (int chunk = 0; chunk < upsert.Chunks.Count; chunk++)
                    {
                        pending[DocumentKeys.ChunkKey(change.DocumentKey, chunk)] = upsert.Chunks[chunk].Vector;
                    }
                }
            }

            foreach ((ulong key, float[] vector) in pending.ToList())
            {
                // The rules ran before the commit; this guards the index against a caller that skipped them.
                if (Refuses(index.Options, Name, key, vector, _logger))
                {
                    pending.Remove(key);
                    Interlocked.Increment(ref _skippedDocuments);
                }
            }

            AddAll(index, pending);
        });
        Interlocked.Exchange(ref _appliedSequence, result.Sequence);
        Interlocked.Add(ref _changesSinceSnapshot, result.Changes.Count);
    }

    private static void AddAll(HnswIndex index, Dictionary<ulong, float[]> vectors)
    {
        if (vectors.Count == 0)
        {
            return;
        }

        int dimension = index.Options.Dimensions;
        ulong[] keys = new ulong[vectors.Count];
        float[] values = new float[vectors.Count * dimension];
        int row = 0;
        foreach ((ulong key, float[] vector) in vectors)
        {
            keys[row] = key;
            vector.CopyTo(values, row * dimension);
            row++;
        }

        index.AddBatch(keys, values);
    }

    /// <summary>Runs a read of the index and catalog; batches apply and rebuilds swap only between reads.</summary>
    public T Read<T>(Func<HnswIndex, T> read)
    {
        _swapLock.EnterReadLock();
        try
        {
            return _deleted ? throw new CollectionNotFoundException(Name) : read(_index);
        }
        finally
        {
            _swapLock.ExitReadLock();
        }
    }

    private void Write(Action<HnswIndex> write)
    {
        _swapLock.EnterWriteLock();
        try
        {
            if (_deleted)
            {
                throw new CollectionNotFoundException(Name);
            }

            write(_index);
        }
        finally
        {
            _swapLock.ExitWriteLock();
        }
    }

    /// <summary>Serialises the index as it stands at <see cref="AppliedSequence"/>. Call with <see cref="WriteLock"/> held.</summary>
    public (long Sequence, byte[] Bytes) Serialize()
    {
        using var stream = new MemoryStream();
        long sequence = AppliedSequence;
        Read(index =>
        {
            index.Save(stream);
            return 0;
        });
        return (sequence, stream.ToArray());
    }

    /// <summary>Records that <paramref name="snapshot"/> was published, covering <paramref name="changesCovered"/> changes.</summary>
    public void SnapshotSaved(SnapshotRecord snapshot, int changesCovered)
    {
        SnapshotSequence = snapshot.Sequence;
        SnapshotAt = snapshot.CreatedAt;
        Interlocked.Add(ref _changesSinceSnapshot, -changesCovered);
    }

    /// <summary>Replaces the index with a rebuilt one that skipped <paramref name="skippedDocuments"/>. Call with <see cref="WriteLock"/> held.</summary>
    public void Swap(HnswIndex rebuilt, long skippedDocuments)
    {
        Interlocked.Exchange(ref _skippedDocuments, skippedDocuments);
        _swapLock.EnterWriteLock();
        HnswIndex old;
        try
        {
            old = _index;
            _index = rebuilt;
        }
        finally
        {
            _swapLock.ExitWriteLock();
        }

        old.Dispose();
    }

    /// <summary>
    /// Frees the index once no read is under way. Later reads and writes fail as if the collection did not
    /// exist; the locks stay, since callers may still be waiting on them.
    /// </summary>
    public void Dispose()
    {
        _swapLock.EnterWriteLock();
        try
        {
            if (!_deleted)
            {
                _deleted = true;
                _index.Dispose();
            }
        }
        finally
        {
            _swapLock.ExitWriteLock();
        }
    }

    /// <summary>Whether the collection was deleted or closed.</summary>
    public bool IsClosed
    {
        get
        {
            _swapLock.EnterReadLock();
            try
            {
                return _deleted;
            }
            finally
            {
                _swapLock.ExitReadLock();
            }
        }
    }

    private int Replay(DocumentStore store, IReadOnlyList<ChangeRecord> changes)
    {
        foreach (ChangeRecord change in changes)
        {
            RemoveChunks(_index, change);
            if (change.Kind == ChangeKind.Upsert)
            {
                // The store holds the document's current vectors; a later change in the log removes them again if they are stale.
                var keys = Enumerable.Range(0, change.ChunkCount).Select(i => DocumentKeys.ChunkKey(change.DocumentKey, i));
                bool skipped = false;
                foreach ((ulong key, float[] vector) in store.GetVectors(Name, keys))
                {
                    if (Refuses(_index.Options, Name, key, vector, _logger))
                    {
                        skipped = true;
                        continue;
                    }

                    _index.Add(key, vector);
                }

                if (skipped)
                {
                    _skippedDocuments++;
                }
            }

            _appliedSequence = change.Sequence;
        }

        return changes.Count;
    }

    private void RemoveChunks(HnswIndex index, ChangeRecord change)
    {
        for (int chunk = 0; chunk < change.PreviousChunkCount; chunk++)
        {
            index.Remove(DocumentKeys.ChunkKey(change.DocumentKey, chunk));
        }

        if (change.Kind == ChangeKind.Delete)
        {
            Catalog.Remove(change.DocumentKey);
        }
    }
}
