using System.Runtime.InteropServices;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using LiteDB;

namespace KrSbert.Storage;

/// <summary>
/// The on-disk layout, in one place: LiteDB collection and field names and how records map to BSON.
/// A test freezes these names and the schema version; changing them needs a new version and a migration.
/// </summary>
internal static class StoreSchema
{
    public const int Version = 1;

    public const string Meta = "meta";
    public const string Collections = "collections";
    public const string Snapshots = "snapshots";
    public const string SnapshotParts = "snapshot_parts";

    public static string Documents(int number) => $"docs_{number}";

    public static string Vectors(int number) => $"vecs_{number}";

    public static string Changes(int number) => $"changes_{number}";

    /// <summary>The collection number a per-collection LiteDB collection belongs to, or null for shared ones.</summary>
    public static int? CollectionNumber(string liteCollection)
    {
        foreach (string prefix in new[] { "docs_", "vecs_", "changes_" })
        {
            if (liteCollection.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(liteCollection.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
            {
                return number;
            }
        }

        return null;
    }

    public static BsonDocument ToBson(CollectionRecord c) => WithSourceSequence(c, new()
    {
        ["_id"] = c.Name,
        ["number"] = c.Number,
        ["model"] = c.Settings.ModelName,
        ["dimension"] = c.Settings.Dimension,
        ["pooling"] = c.Settings.Pooling,
        ["normalize"] = c.Settings.Normalize,
        ["metric"] = c.Settings.Metric,
        ["m"] = c.Settings.M,
        ["ef_construction"] = c.Settings.EfConstruction,
        ["ef_search"] = c.Settings.EfSearch,
        ["index_storage"] = c.Settings.IndexStorage,
        ["chunk_tokens"] = c.Settings.ChunkTokens,
        ["chunk_overlap"] = c.Settings.ChunkOverlap,
        ["created"] = c.CreatedAt,
        ["seq"] = c.Sequence,
        ["docs"] = c.DocumentCount,
        ["chunks"] = c.ChunkCount,
        ["next_key"] = c.NextDocumentKey,
        ["snapshot"] = c.SnapshotGeneration,
        ["model_precision"] = c.Settings.ModelPrecision,
        ["bm25_k1"] = c.Settings.Bm25K1,
        ["bm25_b"] = c.Settings.Bm25B,
    });

    /// <summary>A collection fed from a cluster log keeps the log's sequence; others store no such field, as before it existed.</summary>
    private static BsonDocument WithSourceSequence(CollectionRecord c, BsonDocument d)
    {
        if (c.SourceSequence > 0)
        {
            d["source_seq"] = c.SourceSequence;
        }

        return d;
    }

    public static CollectionRecord ToCollection(BsonDocument d) => new()
    {
        Name = d["_id"].AsString,
        Number = d["number"].AsInt32,
        Settings = new CollectionSettings
        {
            ModelName = d["model"].AsString,
            Dimension = d["dimension"].AsInt32,
            Pooling = d["pooling"].AsString,
            Normalize = d["normalize"].AsBoolean,
            Metric = d["metric"].AsString,
            M = d["m"].AsInt32,
            EfConstruction = d["ef_construction"].AsInt32,
            EfSearch = d["ef_search"].AsInt32,
            IndexStorage = d["index_storage"].AsString,
            ChunkTokens = d["chunk_tokens"].AsInt32,
            ChunkOverlap = d["chunk_overlap"].AsInt32,
            ModelPrecision = d.TryGetValue("model_precision", out BsonValue precision) && precision.IsString ? precision.AsString : "fp32",
            // Appended fields: a record written before they existed reads as the defaults.
            Bm25K1 = d.TryGetValue("bm25_k1", out BsonValue k1) ? k1.AsDouble : CollectionSettings.DefaultBm25K1,
            Bm25B = d.TryGetValue("bm25_b", out BsonValue b) ? b.AsDouble : CollectionSettings.DefaultBm25B,
        },
        CreatedAt = d["created"].AsDateTime,
        Sequence = d["seq"].AsInt64,
        DocumentCount = d["docs"].AsInt64,
        ChunkCount = d["chunks"].AsInt64,
        NextDocumentKey = d["next_key"].AsInt64,
        SnapshotGeneration = d["snapshot"].AsInt64,
        SourceSequence = d.TryGetValue("source_seq", out BsonValue source) ? source.AsInt64 : 0,
    };

    /// <summary>The document without vectors, which live in <see cref="Vectors"/> so catalog scans stay small.</summary>
    public static BsonDocument ToBson(string id, long key, long sequence, string text, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<StoredChunk> chunks)
    {
        var meta = new BsonDocument();
        foreach ((string name, string value) in metadata)
        {
            meta[name] = value;
        }

        var chunkArray = new BsonArray();
        foreach (StoredChunk chunk in chunks)
        {
            chunkArray.Add(new BsonDocument
            {
                ["s"] = chunk.Start,
                ["e"] = chunk.End,
                ["ids"] = MemoryMarshal.AsBytes(chunk.TokenIds.AsSpan()).ToArray(),
            });
        }

        return new BsonDocument
        {
            ["_id"] = id,
            ["key"] = key,
            ["seq"] = sequence,
            ["text"] = text,
            ["meta"] = meta,
            ["chunks"] = chunkArray,
        };
    }

    public static StoredDocument ToDocument(BsonDocument d, Func<long, int, float[]> vectorOf)
    {
        long key = d["key"].AsInt64;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, BsonValue value) in d["meta"].AsDocument)
        {
            metadata[name] = value.AsString;
        }

        BsonArray chunkArray = d["chunks"].AsArray;
        var chunks = new StoredChunk[chunkArray.Count];
        for (int i = 0; i < chunks.Length; i++)
        {
            BsonDocument c = chunkArray[i].AsDocument;
            chunks[i] = new StoredChunk(c["s"].AsInt32, c["e"].AsInt32, MemoryMarshal.Cast<byte, int>(c["ids"].AsBinary).ToArray(), vectorOf(key, i));
        }

        return new StoredDocument
        {
            Id = d["_id"].AsString,
            Key = key,
            Sequence = d["seq"].AsInt64,
            Text = d["text"].AsString,
            Metadata = metadata,
            Chunks = chunks,
        };
    }

    public static int ChunkCount(BsonDocument document) => document["chunks"].AsArray.Count;

    public static BsonDocument ToBson(ChangeRecord c) => new()
    {
        ["_id"] = c.Sequence,
        ["kind"] = (int)c.Kind,
        ["doc"] = c.DocumentId,
        ["key"] = c.DocumentKey,
        ["prev"] = c.PreviousChunkCount,
        ["count"] = c.ChunkCount,
    };

    public static ChangeRecord ToChange(BsonDocument d) =>
        new(d["_id"].AsInt64, (ChangeKind)d["kind"].AsInt32, d["doc"].AsString, d["key"].AsInt64, d["prev"].AsInt32, d["count"].AsInt32);

    public static byte[] VectorBytes(float[] vector) => MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();

    public static float[] Vector(BsonValue bytes) => MemoryMarshal.Cast<byte, float>(bytes.AsBinary).ToArray();
}
