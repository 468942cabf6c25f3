using System.Diagnostics;
using KrSbert.Index;
using KrSbert.Storage;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using Microsoft.Extensions.Logging;

namespace KrSbert.Search.Indexing;

/// <summary>
/// A collection's HNSW index as a derived index: every chunk vector under its chunk key. Vectors the index
/// refuses (stored by an older version) are logged, skipped and counted, so applying, replaying or rebuilding
/// never fails on them.
/// </summary>
internal sealed class VectorIndex : IDerivedIndex
{
    private readonly string _collection;
    private readonly ILogger _logger;
    private long _sequence;
    private long _skippedDocuments;

    private VectorIndex(string collection, HnswIndex hnsw, long sequence, long skippedDocuments, ILogger logger)
    {
        _collection = collection;
        Hnsw = hnsw;
        _sequence = sequence;
        _skippedDocuments = skippedDocuments;
        _logger = logger;
    }

    /// <summary>The part name in snapshots; collections saved before snapshots had parts hold only this one.</summary>
    public const string Part = "hnsw";

    /// <summary>The graph itself, for searches.</summary>
    public HnswIndex Hnsw { get; }

    public string PartName => Part;

    public long Sequence => Interlocked.Read(ref _sequence);

    public long SkippedDocuments => Interlocked.Read(ref _skippedDocuments);

    public void Apply(IndexBatch batch)
    {
        // New vectors are added together at the end, on every core; a later change in the batch that removes a
        // document's chunks also drops its still-pending ones.
        var pending = new Dictionary<ulong, float[]>();
        foreach ((ChangeRecord change, DocumentWrite.Upsert? upsert) in batch.Changes)
        {
            for (int chunk = 0; chunk < change.PreviousChunkCount; chunk++)
            {
                ulong key = DocumentKeys.ChunkKey(change.DocumentKey, chunk);
                Hnsw.Remove(key);
                pending.Remove(key);
            }

            if (upsert is null)
            {
                continue;
            }

            bool refused = false;
            for (int chunk = 0; chunk < upsert.Chunks.Count; chunk++)
            {
                ulong key = DocumentKeys.ChunkKey(change.DocumentKey, chunk);
                // The rules ran before the commit; this guards the graph against a caller that skipped them.
                if (Refuses(key, upsert.Chunks[chunk].Vector))
                {
                    refused = true;
                    continue;
                }

                pending[key] = upsert.Chunks[chunk].Vector;
            }

            if (refused)
            {
                Interlocked.Increment(ref _skippedDocuments);
            }
        }

        AddAll(pending);
        Interlocked.Exchange(ref _sequence, batch.Sequence);
    }

    public void Replay(ChangeRecord change, IDocumentStore store)
    {
        for (int chunk = 0; chunk < change.PreviousChunkCount; chunk++)
        {
            Hnsw.Remove(DocumentKeys.ChunkKey(change.DocumentKey, chunk));
        }

        if (change.Kind == ChangeKind.Upsert)
        {
            // The store holds the document's current vectors; a later change in the log removes them again if they are stale.
            var keys = Enumerable.Range(0, change.ChunkCount).Select(i => DocumentKeys.ChunkKey(change.DocumentKey, i));
            bool refused = false;
            foreach ((ulong key, float[] vector) in store.GetVectors(_collection, keys))
            {
                if (Refuses(key, vector))
                {
                    refused = true;
                    continue;
                }

                Hnsw.Add(key, vector);
            }

            if (refused)
            {
                Interlocked.Increment(ref _skippedDocuments);
            }
        }

        Interlocked.Exchange(ref _sequence, change.Sequence);
    }

    public void Save(Stream destination) => Hnsw.Save(destination);

    public void Dispose() => Hnsw.Dispose();

    private bool Refuses(ulong key, float[] vector)
    {
        if (VectorRules.Violation(vector, Hnsw.Options.Dimensions, Hnsw.Options.Metric) is not { } violation)
        {
            return false;
        }

        Log.VectorSkipped(_logger, _collection, DocumentKeys.DocumentKey(key), DocumentKeys.ChunkIndex(key), violation);
        return true;
    }

    private void AddAll(Dictionary<ulong, float[]> vectors)
    {
        if (vectors.Count == 0)
        {
            return;
        }

        int dimension = Hnsw.Options.Dimensions;
        ulong[] keys = new ulong[vectors.Count];
        float[] values = new float[vectors.Count * dimension];
        int row = 0;
        foreach ((ulong key, float[] vector) in vectors)
        {
            keys[row] = key;
            vector.CopyTo(values, row * dimension);
            row++;
        }

        Hnsw.AddBatch(keys, values);
    }

    /// <summary>Makes vector indexes for one logger.</summary>
    internal sealed class Kind(ILogger logger) : IDerivedIndexKind
    {
        public string PartName => Part;

        public IDerivedIndex Load(Stream part, CollectionRecord collection, long sequence)
        {
            HnswOptions options = IndexSettings.Options(collection.Settings);
            HnswIndex hnsw;
            try
            {
                hnsw = HnswIndex.Load(part);
            }
            catch (IndexSnapshotCorruptException e)
            {
                throw new InvalidDataException(e.Message, e);
            }

            if (hnsw.Options.Dimensions != options.Dimensions || hnsw.Options.Metric != options.Metric)
            {
                hnsw.Dispose();
                throw new InvalidDataException($"it holds {hnsw.Options.Dimensions}-dimension {hnsw.Options.Metric} vectors; the collection is {options.Dimensions}-dimension {options.Metric}");
            }

            return new VectorIndex(collection.Name, hnsw, sequence, skippedDocuments: 0, logger);
        }

        public IDerivedIndex Build(IDocumentStore store, CollectionRecord collection, IProgress<long>? progress)
        {
            long started = Stopwatch.GetTimestamp();
            var index = new VectorIndex(collection.Name, HnswIndex.Create(IndexSettings.Options(collection.Settings)), collection.Sequence, 0, logger);
            try
            {
                long added = 0;
                var skipped = new HashSet<long>();
                foreach ((ulong key, float[] vector) in store.ScanVectors(collection.Name))
                {
                    if (index.Refuses(key, vector))
                    {
                        skipped.Add(DocumentKeys.DocumentKey(key));
                        continue;
                    }

                    index.Hnsw.Add(key, vector);
                    if (++added % 1024 == 0)
                    {
                        progress?.Report(added);
                    }
                }

                progress?.Report(added);
                index._skippedDocuments = skipped.Count;
                Log.IndexRebuilt(logger, collection.Name, index.Hnsw.Count, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return index;
            }
            catch
            {
                index.Dispose();
                throw;
            }
        }
    }
}
