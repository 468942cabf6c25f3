using System.Diagnostics;
using KrSbert.Search.Indexing;
using KrSbert.Storage;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using KrSbert.Storage.Snapshots;
using Microsoft.Extensions.Logging;

namespace KrSbert.Search.Collections;

internal sealed partial class OpenCollection
{
    /// <summary>
    /// Opens a collection: each index from its part of the newest valid snapshot (an index without a part, such as
    /// one added to an existing collection, is built from the store), then the change log after it is replayed
    /// into every index that is behind. With no valid snapshot, every index is built from the store.
    /// </summary>
    public static OpenCollection Open(IDocumentStore store, CollectionRecord record, IReadOnlyList<IDerivedIndexKind> kinds, ILogger logger)
    {
        long started = Stopwatch.GetTimestamp();

        // The catalog scan and the snapshot load read different data: they run side by side.
        DocumentCatalog? catalog = null;
        (IDerivedIndex?[] Indexes, SnapshotRecord Snapshot)? loaded = null;
        Parallel.Invoke(
            () => catalog = DocumentCatalog.Load(store.ScanDocuments(record.Name)),
            () => loaded = LoadNewestSnapshot(store, record, kinds, logger));

        if (loaded is not { } snapshot)
        {
            return FromStore(store, record, catalog!, kinds, logger, progress: null, started);
        }

        var indexes = new List<IDerivedIndex>(kinds.Count);
        try
        {
            for (int i = 0; i < kinds.Count; i++)
            {
                indexes.Add(snapshot.Indexes[i] ?? kinds[i].Build(store, record, progress: null));
            }
        }
        catch
        {
            DisposeAll(indexes);
            DisposeAll(snapshot.Indexes);
            throw;
        }

        long from = indexes.Min(index => index.Sequence);
        var collection = new OpenCollection(record, indexes, catalog!, from, snapshot.Snapshot);
        try
        {
            int replayed = collection.Replay(store, store.ReadChangesAfter(record.Name, from));
            Log.CollectionOpened(logger, record.Name, collection.Count, $"snapshot generation {snapshot.Snapshot.Generation}", replayed, collection.AppliedSequence, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return collection;
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }

    /// <summary>Opens the collection from its stored documents and vectors alone, ignoring snapshots and the change log.</summary>
    public static OpenCollection Rebuild(IDocumentStore store, CollectionRecord record, IReadOnlyList<IDerivedIndexKind> kinds, ILogger logger, IProgress<long>? progress = null)
    {
        long started = Stopwatch.GetTimestamp();
        DocumentCatalog catalog = DocumentCatalog.Load(store.ScanDocuments(record.Name));
        return FromStore(store, record, catalog, kinds, logger, progress, started);
    }

    /// <summary>Every index of a collection built afresh from the store (a rebuild compacts removed entries away).</summary>
    public static IReadOnlyList<IDerivedIndex> BuildIndexes(IDocumentStore store, CollectionRecord record, IReadOnlyList<IDerivedIndexKind> kinds, IProgress<long>? progress)
    {
        var indexes = new List<IDerivedIndex>(kinds.Count);
        try
        {
            foreach (IDerivedIndexKind kind in kinds)
            {
                indexes.Add(kind.Build(store, record, progress));
            }

            return indexes;
        }
        catch
        {
            DisposeAll(indexes);
            throw;
        }
    }

    private static OpenCollection FromStore(IDocumentStore store, CollectionRecord record, DocumentCatalog catalog, IReadOnlyList<IDerivedIndexKind> kinds, ILogger logger, IProgress<long>? progress, long started)
    {
        IReadOnlyList<IDerivedIndex> indexes = BuildIndexes(store, record, kinds, progress);
        var collection = new OpenCollection(record, indexes, catalog, record.Sequence, snapshot: null);
        Log.CollectionOpened(logger, record.Name, collection.Count, "stored vectors", 0, record.Sequence, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return collection;
    }

    /// <summary>The newest snapshot generation whose parts pass their checks and fit the collection, or null.</summary>
    private static (IDerivedIndex?[], SnapshotRecord)? LoadNewestSnapshot(IDocumentStore store, CollectionRecord record, IReadOnlyList<IDerivedIndexKind> kinds, ILogger logger)
    {
        foreach (SnapshotRecord snapshot in store.ListSnapshots(record.Name))
        {
            var indexes = new IDerivedIndex?[kinds.Count];
            try
            {
                IReadOnlyList<SnapshotPart> parts = SnapshotParts.Decode(store.ReadSnapshot(snapshot), snapshot.Sequence);
                for (int i = 0; i < kinds.Count; i++)
                {
                    if (parts.FirstOrDefault(p => p.Name == kinds[i].PartName) is { } part)
                    {
                        using var bytes = new MemoryStream(part.Bytes, writable: false);
                        indexes[i] = kinds[i].Load(bytes, record, part.Sequence);
                    }
                }

                return (indexes, snapshot);
            }
            catch (Exception e) when (e is SnapshotCorruptException or InvalidDataException or EndOfStreamException)
            {
                DisposeAll(indexes);
                Log.SnapshotUnusable(logger, record.Name, snapshot.Generation, e.Message);
            }
        }

        return null;
    }

    /// <summary>Replays logged changes into every index that is behind them; the catalog was loaded at the store's head.</summary>
    private int Replay(IDocumentStore store, IReadOnlyList<ChangeRecord> changes)
    {
        foreach (ChangeRecord change in changes)
        {
            foreach (IDerivedIndex index in _indexes)
            {
                if (index.Sequence < change.Sequence)
                {
                    index.Replay(change, store);
                }
            }

            _appliedSequence = change.Sequence;
        }

        return changes.Count;
    }

    private static void DisposeAll(IEnumerable<IDerivedIndex?> indexes)
    {
        foreach (IDerivedIndex? index in indexes)
        {
            index?.Dispose();
        }
    }
}
