using System.Security.Cryptography;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Snapshots;
using LiteDB;

namespace KrSbert.Storage;

public sealed partial class DocumentStore
{
    // Parts stay far below LiteDB's document size limit; all parts of a generation commit together.
    private const int SnapshotPartSize = 1 << 20;

    /// <summary>
    /// Saves an index snapshot covering changes up to <paramref name="sequence"/> as a new generation and
    /// publishes it by moving the collection's pointer, all in one transaction; the previous generation is kept,
    /// older ones are removed. A crash at any point leaves the old or the new generation published, never a mix.
    /// </summary>
    public Task<SnapshotRecord> SaveSnapshotAsync(string collection, long sequence, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        byte[] hash = SHA256.HashData(data.Span);
        return WriteAsync(db =>
        {
            ILiteCollection<BsonDocument> collections = db.GetCollection(StoreSchema.Collections);
            CollectionRecord record = collections.FindById(collection) is { } c ? StoreSchema.ToCollection(c) : throw new CollectionNotFoundException(collection);
            long generation = NextGeneration(db, record.Number);
            ILiteCollection<BsonDocument> parts = db.GetCollection(StoreSchema.SnapshotParts);
            int partCount = 0;
            for (int offset = 0; offset < data.Length || partCount == 0; offset += SnapshotPartSize)
            {
                int length = Math.Min(SnapshotPartSize, data.Length - offset);
                parts.Insert(new BsonDocument { ["_id"] = PartId(record.Number, generation, partCount), ["data"] = data.Slice(offset, length).ToArray() });
                partCount++;
            }

            var snapshot = new SnapshotRecord(record.Number, generation, sequence, data.Length, hash, DateTime.UtcNow, partCount);
            db.GetCollection(StoreSchema.Snapshots).Insert(new BsonDocument
            {
                ["_id"] = SnapshotId(record.Number, generation),
                ["collection"] = record.Number,
                ["generation"] = generation,
                ["seq"] = sequence,
                ["length"] = (long)data.Length,
                ["sha256"] = hash,
                ["created"] = snapshot.CreatedAt,
                ["parts"] = partCount,
            });
            collections.Update(StoreSchema.ToBson(record with { SnapshotGeneration = generation }));
            DeleteSnapshots(db, record.Number, keepGenerations: [generation, record.SnapshotGeneration]);
            Log.SnapshotSaved(_logger, collection, generation, sequence, data.Length);
            return snapshot;
        }, cancellationToken);
    }

    /// <summary>The collection's snapshots, newest generation first (the published one and the previous one).</summary>
    public IReadOnlyList<SnapshotRecord> ListSnapshots(string collection) => Read(db =>
    {
        int number = RequireCollection(db, collection).Number;
        return db.GetCollection(StoreSchema.Snapshots).Find(BsonExpression.Create("collection = @0", number))
            .Select(ToSnapshot).OrderByDescending(s => s.Generation).ToList();
    });

    /// <summary>Reads a snapshot's bytes and checks them against its checksum.</summary>
    /// <exception cref="SnapshotCorruptException">A part is missing or the bytes do not match the checksum.</exception>
    public byte[] ReadSnapshot(SnapshotRecord snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return Read(db =>
        {
            ILiteCollection<BsonDocument> parts = db.GetCollection(StoreSchema.SnapshotParts);
            var data = new byte[snapshot.Length];
            int offset = 0;
            for (int i = 0; i < snapshot.Parts; i++)
            {
                byte[] part = parts.FindById(PartId(snapshot.CollectionNumber, snapshot.Generation, i))?["data"].AsBinary
                    ?? throw new SnapshotCorruptException($"Snapshot generation {snapshot.Generation} lacks part {i} of {snapshot.Parts}.");
                if (offset + part.Length > data.Length)
                {
                    throw new SnapshotCorruptException($"Snapshot generation {snapshot.Generation} has more bytes than its recorded length {snapshot.Length}.");
                }

                part.CopyTo(data, offset);
                offset += part.Length;
            }

            if (offset != data.Length || !SHA256.HashData(data).AsSpan().SequenceEqual(snapshot.Sha256))
            {
                throw new SnapshotCorruptException($"Snapshot generation {snapshot.Generation} does not match its SHA-256 checksum.");
            }

            return data;
        });
    }

    private static long NextGeneration(LiteDatabase db, int number) =>
        db.GetCollection(StoreSchema.Snapshots).Find(BsonExpression.Create("collection = @0", number)).Select(d => d["generation"].AsInt64).DefaultIfEmpty(0).Max() + 1;

    private static void DeleteSnapshots(LiteDatabase db, int number, long[] keepGenerations)
    {
        ILiteCollection<BsonDocument> snapshots = db.GetCollection(StoreSchema.Snapshots);
        ILiteCollection<BsonDocument> parts = db.GetCollection(StoreSchema.SnapshotParts);
        foreach (SnapshotRecord old in snapshots.Find(BsonExpression.Create("collection = @0", number)).Select(ToSnapshot).ToList())
        {
            if (keepGenerations.Contains(old.Generation))
            {
                continue;
            }

            for (int i = 0; i < old.Parts; i++)
            {
                parts.Delete(PartId(number, old.Generation, i));
            }

            snapshots.Delete(SnapshotId(number, old.Generation));
        }
    }

    private static SnapshotRecord ToSnapshot(BsonDocument d) => new(
        d["collection"].AsInt32, d["generation"].AsInt64, d["seq"].AsInt64, d["length"].AsInt64, d["sha256"].AsBinary, d["created"].AsDateTime, d["parts"].AsInt32);

    private static string SnapshotId(int number, long generation) => $"{number}:{generation}";

    private static string PartId(int number, long generation, int part) => $"{number}:{generation}:{part}";
}
