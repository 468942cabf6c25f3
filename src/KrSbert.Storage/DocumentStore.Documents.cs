using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using LiteDB;

namespace KrSbert.Storage;

public sealed partial class DocumentStore
{
    // Queries take their values as parameters: LiteDB compiles each distinct expression text once and keeps it for
    // the life of the process, so a value spelled into the text (Query.EQ("key", 42)) costs a compilation of a
    // LINQ expression tree (about a millisecond) on every new value, and memory that is never given back.
    private const string KeyIn = "$.key IN @0";
    private static readonly BsonExpression KeyAndText = BsonExpression.Create("{ key: $.key, text: $.text }");

    /// <summary>The longest document id accepted.</summary>
    public const int MaxDocumentIdLength = 256;

    /// <summary>
    /// Applies a batch atomically, in order: each operation that changes something gets the next sequence
    /// number. Within a batch the same id may appear more than once; the last operation wins.
    /// </summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    /// <exception cref="ArgumentException">An id is empty or too long, a document has no chunk, too many chunks, or a vector of the wrong length. Nothing is written.</exception>
    public async Task<BatchResult> ApplyBatchAsync(string collection, IReadOnlyList<DocumentWrite> batch, CancellationToken cancellationToken = default)
    {
        CommittedBatch committed = await ApplyBatchCommittedAsync(collection, batch, cancellationToken).ConfigureAwait(false);
        await committed.Durable.ConfigureAwait(false);
        return committed.Result;
    }

    /// <summary>
    /// Applies a batch like <see cref="ApplyBatchAsync"/> but answers as soon as it is committed, with a task that
    /// completes once the commit is on disk. A caller that orders its own work by commit (an index that must apply
    /// batches in sequence) can release its lock before waiting, so concurrent writers share one fsync.
    /// </summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    /// <exception cref="ArgumentException">As for <see cref="ApplyBatchAsync"/>. Nothing is written.</exception>
    public async Task<CommittedBatch> ApplyBatchCommittedAsync(string collection, IReadOnlyList<DocumentWrite> batch, CancellationToken cancellationToken = default)
    {
        (BatchResult result, Task durable) = await ApplyBatchCoreAsync(collection, batch, 0, cancellationToken).ConfigureAwait(false);
        return new CommittedBatch(result, durable);
    }

    /// <inheritdoc/>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    /// <exception cref="ArgumentException">As for <see cref="ApplyBatchAsync"/>, or a source sequence below 1. Nothing is written.</exception>
    public async Task<CommittedBatch> ApplySourceBatchCommittedAsync(string collection, IReadOnlyList<DocumentWrite> batch, long sourceSequence, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceSequence, 1);
        (BatchResult result, Task durable) = await ApplyBatchCoreAsync(collection, batch, sourceSequence, cancellationToken).ConfigureAwait(false);
        return new CommittedBatch(result, durable);
    }

    private Task<(BatchResult Result, Task Durable)> ApplyBatchCoreAsync(string collection, IReadOnlyList<DocumentWrite> batch, long sourceSequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (DocumentWrite write in batch)
        {
            CheckId(write.Id);
        }

        return WriteCommittedAsync(db =>
        {
            ILiteCollection<BsonDocument> collections = db.GetCollection(StoreSchema.Collections);
            CollectionRecord record = collections.FindById(collection) is { } c ? StoreSchema.ToCollection(c) : throw new CollectionNotFoundException(collection);
            if (sourceSequence > 0 && sourceSequence <= record.SourceSequence)
            {
                // Read in the transaction that would write, so two deliveries of one batch cannot both apply it.
                return new BatchResult([], [], record.Sequence, 0, 0, record);
            }

            CheckVectors(batch, record.Settings.Dimension);

            int number = record.Number;
            ILiteCollection<BsonDocument> documents = db.GetCollection(StoreSchema.Documents(number));
            ILiteCollection<BsonDocument> vectors = db.GetCollection(StoreSchema.Vectors(number));
            ILiteCollection<BsonDocument> changes = db.GetCollection(StoreSchema.Changes(number));
            long sequence = record.Sequence;
            long nextKey = record.NextDocumentKey;
            long documentCount = record.DocumentCount;
            long chunkCount = record.ChunkCount;
            int deleted = 0, notFound = 0;
            var applied = new List<ChangeRecord>(batch.Count);
            var operations = new List<int>(batch.Count);

            for (int operation = 0; operation < batch.Count; operation++)
            {
                DocumentWrite write = batch[operation];
                BsonDocument? existing = documents.FindById(write.Id);
                int previousChunks = existing is null ? 0 : StoreSchema.ChunkCount(existing);
                long key = existing?["key"].AsInt64 ?? 0;
                if (existing is not null)
                {
                    for (int i = 0; i < previousChunks; i++)
                    {
                        vectors.Delete((long)DocumentKeys.ChunkKey(key, i));
                    }

                    chunkCount -= previousChunks;
                }

                switch (write)
                {
                    case DocumentWrite.Upsert upsert:
                        if (existing is null)
                        {
                            key = nextKey++;
                            documentCount++;
                        }

                        sequence++;
                        documents.Upsert(StoreSchema.ToBson(upsert.Id, key, sequence, upsert.Text, upsert.Metadata, upsert.Chunks));
                        for (int i = 0; i < upsert.Chunks.Count; i++)
                        {
                            vectors.Insert(new BsonDocument { ["_id"] = (long)DocumentKeys.ChunkKey(key, i), ["v"] = StoreSchema.VectorBytes(upsert.Chunks[i].Vector) });
                        }

                        chunkCount += upsert.Chunks.Count;
                        applied.Add(new ChangeRecord(sequence, ChangeKind.Upsert, upsert.Id, key, previousChunks, upsert.Chunks.Count));
                        operations.Add(operation);
                        break;

                    case DocumentWrite.Delete when existing is null:
                        notFound++;
                        break;

                    case DocumentWrite.Delete delete:
                        sequence++;
                        documents.Delete(delete.Id);
                        documentCount--;
                        deleted++;
                        applied.Add(new ChangeRecord(sequence, ChangeKind.Delete, delete.Id, key, previousChunks, 0));
                        operations.Add(operation);
                        break;
                }
            }

            foreach (ChangeRecord change in applied)
            {
                changes.Insert(StoreSchema.ToBson(change));
            }

            CollectionRecord written = record with
            {
                Sequence = sequence,
                NextDocumentKey = nextKey,
                DocumentCount = documentCount,
                ChunkCount = chunkCount,
                SourceSequence = Math.Max(record.SourceSequence, sourceSequence),
            };
            collections.Update(StoreSchema.ToBson(written));
            return new BatchResult(applied, operations, sequence, deleted, notFound, written);
        }, cancellationToken);
    }

    /// <summary>The documents with these ids (missing ids are left out), with their vectors when asked.</summary>
    public IReadOnlyList<StoredDocument> GetDocuments(string collection, IEnumerable<string> ids, bool withVectors = true) => Read(db =>
    {
        int number = RequireCollection(db, collection).Number;
        ILiteCollection<BsonDocument> documents = db.GetCollection(StoreSchema.Documents(number));
        ILiteCollection<BsonDocument> vectors = db.GetCollection(StoreSchema.Vectors(number));
        var found = new List<StoredDocument>();
        foreach (string id in ids)
        {
            if (documents.FindById(id) is { } d)
            {
                found.Add(StoreSchema.ToDocument(d, withVectors ? VectorReader(vectors) : NoVector));
            }
        }

        return found;
    });

    /// <summary>The documents with these keys, in the order asked (missing keys are left out), without vectors.</summary>
    public IReadOnlyList<StoredDocument> GetDocumentsByKey(string collection, IEnumerable<long> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        long[] wanted = keys as long[] ?? [.. keys];
        if (wanted.Length == 0)
        {
            return [];
        }

        List<BsonDocument> found = Read(db => db.GetCollection(StoreSchema.Documents(RequireCollection(db, collection).Number))
            .Query().Where(KeyIn, KeyArray(wanted)).ToList());
        Dictionary<long, StoredDocument> byKey = found.Select(d => StoreSchema.ToDocument(d, NoVector)).ToDictionary(d => d.Key);
        var ordered = new List<StoredDocument>(byKey.Count);
        foreach (long key in wanted)
        {
            if (byKey.Remove(key, out StoredDocument? document))
            {
                ordered.Add(document);
            }
        }

        return ordered;
    }

    /// <summary>
    /// The text of each document with one of these keys (missing keys are left out): one indexed read that loads
    /// only the key and text fields, which is what a query's hits are hydrated from.
    /// </summary>
    public IReadOnlyDictionary<long, string> GetTextsByKey(string collection, IReadOnlyCollection<long> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return new Dictionary<long, string>();
        }

        BsonArray array = KeyArray(keys);
        return Read(db =>
        {
            var texts = new Dictionary<long, string>(keys.Count);
            foreach (BsonDocument d in db.GetCollection(StoreSchema.Documents(RequireCollection(db, collection).Number))
                .Query().Where(KeyIn, array).Select(KeyAndText).ToEnumerable())
            {
                texts[d["key"].AsInt64] = d["text"].AsString;
            }

            return texts;
        });
    }

    /// <summary>Every document without vectors, in key order: what in-memory catalogs are rebuilt from.</summary>
    public IEnumerable<StoredDocument> ScanDocuments(string collection)
    {
        int number = Read(db => RequireCollection(db, collection).Number);
        return Read(db => db.GetCollection(StoreSchema.Documents(number)).Find(Query.All("key")).Select(d => StoreSchema.ToDocument(d, NoVector)).ToList());
    }

    /// <summary>Every stored chunk vector with its key: what an index is rebuilt from.</summary>
    public IEnumerable<(ulong Key, float[] Vector)> ScanVectors(string collection)
    {
        int number = Read(db => RequireCollection(db, collection).Number);
        foreach (BsonDocument d in Read(db => db.GetCollection(StoreSchema.Vectors(number)).FindAll()))
        {
            yield return ((ulong)d["_id"].AsInt64, StoreSchema.Vector(d["v"]));
        }
    }

    /// <summary>The vectors of these chunk keys (missing ones are left out).</summary>
    public IReadOnlyList<(ulong Key, float[] Vector)> GetVectors(string collection, IEnumerable<ulong> keys) => Read(db =>
    {
        ILiteCollection<BsonDocument> vectors = db.GetCollection(StoreSchema.Vectors(RequireCollection(db, collection).Number));
        var found = new List<(ulong, float[])>();
        foreach (ulong key in keys)
        {
            if (vectors.FindById((long)key) is { } d)
            {
                found.Add((key, StoreSchema.Vector(d["v"])));
            }
        }

        return found;
    });

    /// <summary>The change log after <paramref name="sequence"/>, in order: what an index replays to catch up.</summary>
    public IReadOnlyList<ChangeRecord> ReadChangesAfter(string collection, long sequence) => Read(db =>
        db.GetCollection(StoreSchema.Changes(RequireCollection(db, collection).Number))
            .Find(BsonExpression.Create("_id > @0", sequence)).Select(StoreSchema.ToChange).OrderBy(c => c.Sequence).ToList());

    private static BsonArray KeyArray(IEnumerable<long> keys)
    {
        var array = new BsonArray();
        foreach (long key in keys)
        {
            array.Add(key);
        }

        return array;
    }

    private static CollectionRecord RequireCollection(LiteDatabase db, string collection) =>
        db.GetCollection(StoreSchema.Collections).FindById(collection) is { } d ? StoreSchema.ToCollection(d) : throw new CollectionNotFoundException(collection);

    private static Func<long, int, float[]> VectorReader(ILiteCollection<BsonDocument> vectors) =>
        (key, chunk) => vectors.FindById((long)DocumentKeys.ChunkKey(key, chunk)) is { } v ? StoreSchema.Vector(v["v"]) : [];

    private static float[] NoVector(long key, int chunk) => [];

    private static void CheckId(string id)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw new ArgumentException("A document id is empty.", nameof(id));
        }

        if (id.Length > MaxDocumentIdLength)
        {
            throw new ArgumentException($"Document id '{id[..32]}…' has {id.Length} characters; the limit is {MaxDocumentIdLength}.", nameof(id));
        }
    }

    private static void CheckVectors(IReadOnlyList<DocumentWrite> batch, int dimension)
    {
        foreach (DocumentWrite.Upsert upsert in batch.OfType<DocumentWrite.Upsert>())
        {
            if (upsert.Chunks.Count is 0 or > DocumentKeys.MaxChunks)
            {
                throw new ArgumentException($"Document '{upsert.Id}' has {upsert.Chunks.Count} chunks; it needs 1 to {DocumentKeys.MaxChunks}.", nameof(batch));
            }

            foreach (StoredChunk chunk in upsert.Chunks)
            {
                if (chunk.Vector.Length != dimension)
                {
                    throw new ArgumentException($"Document '{upsert.Id}' has a vector of {chunk.Vector.Length} dimensions; the collection's are {dimension}.", nameof(batch));
                }
            }
        }
    }
}
