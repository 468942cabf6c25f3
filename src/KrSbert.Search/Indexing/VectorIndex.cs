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
    // The part starts with this and the skipped documents' keys, then the HNSW snapshot; a part without it is HNSW alone.
    private static readonly byte[] PartMagic = "KRSBVEC1"u8.ToArray();

    private readonly string _collection;
    private readonly ILogger _logger;
    // Changed only while the collection's indexes are exclusively held (apply, replay) or before publication (build, load).
    private readonly HashSet<long> _skipped;
    private long _sequence;

    private VectorIndex(string collection, HnswIndex hnsw, long sequence, HashSet<long> skipped, ILogger logger)
    {
        _collection = collection;
        Hnsw = hnsw;
        _sequence = sequence;
        _skipped = skipped;
        _logger = logger;
    }

    /// <summary>The part name in snapshots; collections saved before snapshots had parts hold only this one.</summary>
    public const string Part = "hnsw";

    /// <summary>The graph itself, for searches.</summary>
    public HnswIndex Hnsw { get; }

    public string PartName => Part;

    public long Sequence => Interlocked.Read(ref _sequence);

    /// <summary>Documents whose stored vectors the graph refused; a later valid version or a delete takes one off.</summary>
    public long SkippedDocuments => _skipped.Count;

    public void Apply(IndexBatch batch)
    {
        // New vectors are added together at the end, on every core; a later change in the batch that removes a
        // document's chunks also drops its still-pending ones.
        var pending = new Dictionary<ulong, float[]>();
        foreach ((ChangeRecord change, DocumentWrite.Upsert? upsert) in batch.Changes)
        {
            _skipped.Remove(change.DocumentKey);
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
                _skipped.Add(change.DocumentKey);
            }
        }

        AddAll(pending);
        Interlocked.Exchange(ref _sequence, batch.Sequence);
    }

    public void Replay(ChangeRecord change, IDocumentStore store)
    {
        _skipped.Remove(change.DocumentKey);
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
                _skipped.Add(change.DocumentKey);
            }
        }

        Interlocked.Exchange(ref _sequence, change.Sequence);
    }

    public void Save(Stream destination)
    {
        using (var writer = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(PartMagic);
            writer.Write(_skipped.Count);
            foreach (long key in _skipped)
            {
                writer.Write(key);
            }
        }

        Hnsw.Save(destination);
    }

    /// <summary>Reads the skipped documents' keys that open a part, or none from a part that is HNSW alone.</summary>
    private static HashSet<long> ReadSkipped(Stream part)
    {
        long start = part.Position;
        Span<byte> magic = stackalloc byte[8];
        if (part.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < magic.Length || !magic.SequenceEqual(PartMagic))
        {
            part.Position = start;
            return [];
        }

        using var reader = new BinaryReader(part, System.Text.Encoding.UTF8, leaveOpen: true);
        int count = reader.ReadInt32();
        if (count < 0 || count > (part.Length - part.Position) / sizeof(long))
        {
            throw new InvalidDataException($"the HNSW part lists {count} skipped documents in {part.Length} bytes");
        }

        var skipped = new HashSet<long>(count);
        for (int i = 0; i < count; i++)
        {
            skipped.Add(reader.ReadInt64());
        }

        return skipped;
    }

    public void Dispose() => Hnsw.Dispose();

    private bool Refuses(ulong key, float[] vector)
    {
        if (VectorRules.Violation(vector, Hnsw.Options.Dimensions, Hnsw.Options.Metric, Hnsw.Options.Storage) is not { } violation)
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
            HashSet<long> skipped;
            HnswIndex hnsw;
            try
            {
                skipped = ReadSkipped(part);
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

            return new VectorIndex(collection.Name, hnsw, sequence, skipped, logger);
        }

        public IDerivedIndex Build(IDocumentStore store, CollectionRecord collection, IProgress<long>? progress)
        {
            long started = Stopwatch.GetTimestamp();
            var index = new VectorIndex(collection.Name, HnswIndex.Create(IndexSettings.Options(collection.Settings)), collection.Sequence, [], logger);
            try
            {
                long added = 0;
                foreach ((ulong key, float[] vector) in store.ScanVectors(collection.Name))
                {
                    if (index.Refuses(key, vector))
                    {
                        index._skipped.Add(DocumentKeys.DocumentKey(key));
                        continue;
                    }

                    index.Hnsw.Add(key, vector);
                    if (++added % 1024 == 0)
                    {
                        progress?.Report(added);
                    }
                }

                progress?.Report(added);
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
