using KrSbert.Storage.Collections;
using LiteDB;

namespace KrSbert.Storage.Tests;

/// <summary>Freezes the on-disk format: a change here breaks every existing data folder and needs a migration.</summary>
public class StoreSchemaTests
{
    [Fact]
    public void Schema_version_and_collection_names_are_frozen()
    {
        Assert.Equal(1, StoreSchema.Version);
        Assert.Equal(["meta", "collections", "snapshots", "snapshot_parts", "docs_7", "vecs_7", "changes_7"],
            [StoreSchema.Meta, StoreSchema.Collections, StoreSchema.Snapshots, StoreSchema.SnapshotParts, StoreSchema.Documents(7), StoreSchema.Vectors(7), StoreSchema.Changes(7)]);
    }

    [Fact]
    public void Collection_fields_are_frozen()
    {
        var record = new CollectionRecord
        {
            Name = "faq", Number = 3, Settings = TemporaryStore.Settings() with { Bm25K1 = 1.2, Bm25B = 0.75 }, CreatedAt = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            Sequence = 9, DocumentCount = 5, ChunkCount = 6, NextDocumentKey = 7, SnapshotGeneration = 2,
        };

        BsonDocument bson = StoreSchema.ToBson(record);

        Assert.Equal(
            "_id,number,model,dimension,pooling,normalize,metric,m,ef_construction,ef_search,index_storage,chunk_tokens,chunk_overlap,created,seq,docs,chunks,next_key,snapshot,model_precision,bm25_k1,bm25_b",
            string.Join(',', bson.Keys));
        Assert.Equal(record, StoreSchema.ToCollection(bson));
    }

    [Fact]
    public void A_collection_record_written_before_model_precision_reads_as_fp32_and_int8_round_trips()
    {
        var record = new CollectionRecord
        {
            Name = "faq", Number = 3, Settings = TemporaryStore.Settings() with { ModelPrecision = "int8" }, CreatedAt = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            Sequence = 9, DocumentCount = 5, ChunkCount = 6, NextDocumentKey = 7, SnapshotGeneration = 2,
        };
        BsonDocument bson = StoreSchema.ToBson(record);
        Assert.Equal("int8", bson["model_precision"].AsString);
        Assert.Equal(record, StoreSchema.ToCollection(bson));

        bson.Remove("model_precision");

        Assert.Equal("fp32", StoreSchema.ToCollection(bson).Settings.ModelPrecision);
    }

    [Fact]
    public void A_collection_record_from_before_bm25_settings_reads_as_k1_0_9_and_b_0_4()
    {
        var record = new CollectionRecord
        {
            Name = "faq", Number = 3, Settings = TemporaryStore.Settings() with { Bm25K1 = 2, Bm25B = 1 }, CreatedAt = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            Sequence = 9, DocumentCount = 5, ChunkCount = 6, NextDocumentKey = 7, SnapshotGeneration = 2,
        };
        BsonDocument old = StoreSchema.ToBson(record);
        old.Remove("bm25_k1");
        old.Remove("bm25_b");

        CollectionSettings settings = StoreSchema.ToCollection(old).Settings;

        Assert.Equal((0.9, 0.4), (settings.Bm25K1, settings.Bm25B));
        Assert.Equal(record.Settings with { Bm25K1 = 0.9, Bm25B = 0.4 }, settings);
    }

    [Fact]
    public void A_collection_fed_from_a_cluster_log_appends_its_source_sequence_and_others_read_it_as_0()
    {
        var record = new CollectionRecord
        {
            Name = "faq", Number = 3, Settings = TemporaryStore.Settings(), CreatedAt = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            Sequence = 9, DocumentCount = 5, ChunkCount = 6, NextDocumentKey = 7, SnapshotGeneration = 2, SourceSequence = 41,
        };

        BsonDocument bson = StoreSchema.ToBson(record);

        Assert.EndsWith(",snapshot,model_precision,bm25_k1,bm25_b,source_seq", string.Join(',', bson.Keys), StringComparison.Ordinal);
        Assert.Equal(41L, bson["source_seq"].AsInt64);
        Assert.Equal(record, StoreSchema.ToCollection(bson));
        bson.Remove("source_seq");
        Assert.Equal(0, StoreSchema.ToCollection(bson).SourceSequence);
    }

    [Fact]
    public void Document_fields_and_the_vector_byte_layout_are_frozen()
    {
        BsonDocument bson = StoreSchema.ToBson("a", 5, 9, "text", new Dictionary<string, string> { ["k"] = "v" },
            [new Documents.StoredChunk(0, 4, [2, 3], [1f, -2f])]);

        Assert.Equal("_id,key,seq,text,meta,chunks", string.Join(',', bson.Keys));
        Assert.Equal("s,e,ids", string.Join(',', bson["chunks"].AsArray[0].AsDocument.Keys));
        Assert.Equal([2, 0, 0, 0, 3, 0, 0, 0], bson["chunks"].AsArray[0]["ids"].AsBinary);
        Assert.Equal([0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0], StoreSchema.VectorBytes([1f, -2f]));
        Assert.Equal((1UL << 16) | 2, Documents.DocumentKeys.ChunkKey(1, 2));
    }
}
