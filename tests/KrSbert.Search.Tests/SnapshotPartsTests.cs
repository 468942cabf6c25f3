using KrSbert.Index;
using KrSbert.Search.Indexing;
using KrSbert.Search.Lexical;
using KrSbert.Search.Querying;
using KrSbert.Storage;

namespace KrSbert.Search.Tests;

/// <summary>A collection snapshot holds one part per derived index; open treats every index alike.</summary>
public class SnapshotPartsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly float[] X = [1, 0, 0, 0, 0, 0, 0, 0];
    private static readonly float[] Y = [0, 1, 0, 0, 0, 0, 0, 0];

    [Fact]
    public void Parts_round_trip_with_their_names_and_sequences()
    {
        byte[] blob = SnapshotParts.Encode([new SnapshotPart("hnsw", 7, [1, 2, 3]), new SnapshotPart("lexical", 5, [])]);

        var parts = SnapshotParts.Decode(blob, sequence: 9);

        Assert.Equal([("hnsw", 7L, 3), ("lexical", 5L, 0)], parts.Select(p => (p.Name, p.Sequence, p.Bytes.Length)));
        Assert.Throws<InvalidDataException>(() => SnapshotParts.Decode(blob[..^2], sequence: 9));
    }

    [Fact]
    public async Task The_engine_saves_one_part_per_index_at_its_sequence()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("a", X), TemporaryEngine.VectorDocument("b", Y)]).WaitAsync(Timeout);

        await temp.Engine.SnapshotAllAsync().WaitAsync(Timeout);
        var snapshot = temp.Engine.Store.ListSnapshots("vectors")[0];
        var parts = SnapshotParts.Decode(temp.Engine.Store.ReadSnapshot(snapshot), snapshot.Sequence);

        Assert.Equal([(VectorIndex.Part, 2L), (LexicalIndex.Part, 2L)], parts.Select(p => (p.Name, p.Sequence)));
    }

    [Fact]
    public async Task A_snapshot_written_before_snapshots_had_parts_still_loads()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("a", X), TemporaryEngine.VectorDocument("b", Y)]).WaitAsync(Timeout);
        await temp.Engine.DisposeAsync().AsTask().WaitAsync(Timeout);
        var legacy = await SaveSnapshotAsync(temp.DataDirectory, store => LegacyBlob(store)).WaitAsync(Timeout);

        await temp.RestartAsyncAfterDispose().WaitAsync(Timeout);
        var info = temp.Engine.GetCollection("vectors");

        Assert.Equal((2, 2L, 2L), (info.IndexedVectors, info.SnapshotSequence, info.AppliedSequence));
        // Opened from the legacy generation itself, not the one before it.
        Assert.Equal(legacy.CreatedAt, info.SnapshotAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Equal("b", (await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = Y })).Hits[0].Id);
    }

    [Fact]
    public async Task An_index_without_a_part_in_the_snapshot_is_built_from_the_store_on_open()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("a", X), TemporaryEngine.VectorDocument("b", Y)]).WaitAsync(Timeout);
        await temp.Engine.DisposeAsync().AsTask().WaitAsync(Timeout);
        await SaveSnapshotAsync(temp.DataDirectory, _ => SnapshotParts.Encode([])).WaitAsync(Timeout);

        await temp.RestartAsyncAfterDispose().WaitAsync(Timeout);

        Assert.Equal(2, temp.Engine.GetCollection("vectors").IndexedVectors);
        Assert.Equal("a", (await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = X })).Hits[0].Id);
    }

    /// <summary>Publishes a snapshot made by <paramref name="blob"/> as the newest generation, at the collection's sequence.</summary>
    private static async Task<Storage.Snapshots.SnapshotRecord> SaveSnapshotAsync(string dataDirectory, Func<DocumentStore, byte[]> blob)
    {
        using DocumentStore store = DocumentStore.Open(Path.Combine(dataDirectory, "krsbert.db"));
        var record = store.GetCollection("vectors")!;
        return await store.SaveSnapshotAsync("vectors", record.Sequence, blob(store)).WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>The HNSW index alone, as snapshots were saved before they had parts.</summary>
    private static byte[] LegacyBlob(DocumentStore store)
    {
        var settings = store.GetCollection("vectors")!.Settings;
        using HnswIndex index = HnswIndex.Create(new HnswOptions { Dimensions = settings.Dimension, Metric = VectorMetric.Cosine, M = settings.M, EfConstruction = settings.EfConstruction, EfSearch = settings.EfSearch });
        foreach ((ulong key, float[] vector) in store.ScanVectors("vectors"))
        {
            index.Add(key, vector);
        }

        using var stream = new MemoryStream();
        index.Save(stream);
        return stream.ToArray();
    }
}
