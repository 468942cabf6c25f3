using KrSbert.Index;
using KrSbert.Search.Indexing;
using KrSbert.Search.Lexical;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using KrSbert.Storage.Snapshots;

namespace KrSbert.Search.Collections;

/// <summary>
/// A collection while the engine has it open: its record, the in-memory catalog, the sequence number reached,
/// the write lock, background work, and its derived indexes (<see cref="IDerivedIndex"/>). The store is the
/// truth; all of this is derived from it (see <c>OpenCollection.Lifecycle.cs</c>). Writes are serialised by the
/// lock (<see cref="LockAsync"/>) so changes apply in sequence order; queries run beside them.
/// </summary>
internal sealed partial class OpenCollection : IDisposable
{
    // Exclusive while a batch applies or indexes swap, so a query sees every index and the catalog at one sequence.
    private readonly ReaderWriterLockSlim _swapLock = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private IReadOnlyList<IDerivedIndex> _indexes;
    private long _appliedSequence;
    private int _changesSinceSnapshot;
    private bool _closed;

    private OpenCollection(CollectionRecord record, IReadOnlyList<IDerivedIndex> indexes, DocumentCatalog catalog, long appliedSequence, SnapshotRecord? snapshot)
    {
        Record = record;
        _indexes = indexes;
        Catalog = catalog;
        _appliedSequence = appliedSequence;
        SnapshotSequence = snapshot?.Sequence ?? 0;
        SnapshotAt = snapshot?.CreatedAt;
    }

    /// <summary>The collection as last written.</summary>
    public CollectionRecord Record { get; private set; }

    public string Name => Record.Name;

    public DocumentCatalog Catalog { get; }

    public long AppliedSequence => Interlocked.Read(ref _appliedSequence);

    public long SnapshotSequence { get; private set; }

    public DateTime? SnapshotAt { get; private set; }

    public int ChangesSinceSnapshot => Volatile.Read(ref _changesSinceSnapshot);

    /// <summary>Background snapshot or rebuild under way; set only with the lease held, so at most one runs.</summary>
    public Task? Background { get; private set; }

    public int Count => Read(index => index.Count);

    public long RemovedCount => Read(index => index.RemovedCount);

    /// <summary>Stored documents an index refused since the collection opened or was rebuilt.</summary>
    public long SkippedDocuments => ReadIndexes(indexes => indexes.Max(i => i.SkippedDocuments));

    /// <summary>Waits for the right to change the collection; dispose the lease to give it back.</summary>
    public Task<CollectionLease> LockAsync(CancellationToken cancellationToken) =>
        CollectionLease.AcquireAsync(this, _writeLock, cancellationToken);

    /// <summary>Starts <paramref name="work"/> in the background unless background work is already under way.</summary>
    public bool TrySchedule(CollectionLease lease, Func<Task> work)
    {
        lease.Check(this);
        if (Background is { IsCompleted: false })
        {
            return false;
        }

        Background = Task.Run(work);
        return true;
    }

    /// <summary>
    /// Applies a batch the store committed (<paramref name="published"/> is the record it wrote): the catalog and
    /// every index follow it at once.
    /// </summary>
    public void Apply(CollectionLease lease, IndexBatch batch, CollectionRecord published)
    {
        lease.Check(this);
        Write(indexes =>
        {
            foreach ((ChangeRecord change, DocumentWrite.Upsert? upsert) in batch.Changes)
            {
                if (upsert is not null)
                {
                    // The catalog entry comes first: a query that finds a new chunk can always hydrate it.
                    Catalog.Put(change.DocumentKey, new CatalogEntry(upsert.Id, upsert.Metadata, [.. upsert.Chunks.Select(c => (c.Start, c.End))]));
                }
                else
                {
                    Catalog.Remove(change.DocumentKey);
                }
            }

            foreach (IDerivedIndex index in indexes)
            {
                index.Apply(batch);
            }
        });
        Record = published;
        Interlocked.Exchange(ref _appliedSequence, batch.Sequence);
        Interlocked.Add(ref _changesSinceSnapshot, batch.Result.Changes.Count);
    }

    /// <summary>Runs a read of the HNSW index and catalog; batches apply and rebuilds swap only between reads.</summary>
    public T Read<T>(Func<HnswIndex, T> read) => ReadIndexes(indexes => read(Vectors(indexes).Hnsw));

    /// <summary>Runs a read of the HNSW and lexical indexes together, at one sequence.</summary>
    public T Read<T>(Func<HnswIndex, LexicalIndex, T> read) => ReadIndexes(indexes => read(Vectors(indexes).Hnsw, Only<LexicalIndex>(indexes)));

    /// <summary>Serialises every index as it stands at <see cref="AppliedSequence"/>, one snapshot part each.</summary>
    public (long Sequence, byte[] Bytes) Serialize(CollectionLease lease)
    {
        lease.Check(this);
        long sequence = AppliedSequence;
        byte[] bytes = ReadIndexes(indexes => SnapshotParts.Encode([.. indexes.Select(index =>
        {
            using var part = new MemoryStream();
            index.Save(part);
            return new SnapshotPart(index.PartName, index.Sequence, part.ToArray());
        })]));
        return (sequence, bytes);
    }

    /// <summary>Records that <paramref name="snapshot"/> was published, covering <paramref name="changesCovered"/> changes; hold the lease.</summary>
    public void SnapshotSaved(CollectionLease lease, SnapshotRecord snapshot, int changesCovered)
    {
        lease.Check(this);
        // Snapshots taken side by side (background, rebuild, shutdown) may publish out of order; the newest wins.
        if (snapshot.Sequence < SnapshotSequence)
        {
            return;
        }

        SnapshotSequence = snapshot.Sequence;
        SnapshotAt = snapshot.CreatedAt;
        Interlocked.Exchange(ref _changesSinceSnapshot, Math.Max(0, ChangesSinceSnapshot - changesCovered));
    }

    /// <summary>Replaces every index with ones rebuilt from the store.</summary>
    public void Swap(CollectionLease lease, IReadOnlyList<IDerivedIndex> rebuilt)
    {
        lease.Check(this);
        IReadOnlyList<IDerivedIndex> old;
        _swapLock.EnterWriteLock();
        try
        {
            old = _indexes;
            _indexes = rebuilt;
        }
        finally
        {
            _swapLock.ExitWriteLock();
        }

        foreach (IDerivedIndex index in old)
        {
            index.Dispose();
        }
    }

    /// <summary>Publishes the collection under a new record (a re-embedded collection taking the old name).</summary>
    public void Rename(CollectionLease lease, CollectionRecord published)
    {
        lease.Check(this);
        Record = published;
    }

    /// <summary>Whether the collection was deleted or closed.</summary>
    public bool IsClosed => ReadState(() => _closed);

    /// <summary>
    /// Frees the indexes once no read is under way. Later reads and writes fail as if the collection did not
    /// exist; the locks stay, since callers may still be waiting on them.
    /// </summary>
    public void Dispose()
    {
        _swapLock.EnterWriteLock();
        try
        {
            if (!_closed)
            {
                _closed = true;
                foreach (IDerivedIndex index in _indexes)
                {
                    index.Dispose();
                }
            }
        }
        finally
        {
            _swapLock.ExitWriteLock();
        }
    }

    private static VectorIndex Vectors(IReadOnlyList<IDerivedIndex> indexes) => Only<VectorIndex>(indexes);

    /// <summary>The one index of a kind; every query looks its indexes up, so this walks the short list without LINQ.</summary>
    private static TIndex Only<TIndex>(IReadOnlyList<IDerivedIndex> indexes)
        where TIndex : class, IDerivedIndex
    {
        TIndex? found = null;
        for (int i = 0; i < indexes.Count; i++)
        {
            if (indexes[i] is TIndex index)
            {
                found = found is null ? index : throw new InvalidOperationException($"The collection holds more than one {typeof(TIndex).Name}.");
            }
        }

        return found ?? throw new InvalidOperationException($"The collection holds no {typeof(TIndex).Name}.");
    }

    private T ReadIndexes<T>(Func<IReadOnlyList<IDerivedIndex>, T> read) => ReadState(() => _closed ? throw new CollectionNotFoundException(Name) : read(_indexes));

    private T ReadState<T>(Func<T> read)
    {
        _swapLock.EnterReadLock();
        try
        {
            return read();
        }
        finally
        {
            _swapLock.ExitReadLock();
        }
    }

    private void Write(Action<IReadOnlyList<IDerivedIndex>> write)
    {
        _swapLock.EnterWriteLock();
        try
        {
            if (_closed)
            {
                throw new CollectionNotFoundException(Name);
            }

            write(_indexes);
        }
        finally
        {
            _swapLock.ExitWriteLock();
        }
    }
}
