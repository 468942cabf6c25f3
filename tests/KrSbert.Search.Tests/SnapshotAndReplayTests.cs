using KrSbert.Search.Querying;
using LiteDB;

namespace KrSbert.Search.Tests;

public class SnapshotAndReplayTests
{
    [Fact]
    public async Task A_snapshot_is_taken_in_the_background_after_the_configured_number_of_changes()
    {
        await using var temp = await TemporaryEngine.StartAsync(snapshotEvery: 50);
        await temp.CreateVectorCollectionAsync();
        var random = new Random(4);

        for (int i = 0; i < 6; i++)
        {
            await temp.Engine.UpsertAsync("vectors", Enumerable.Range(0, 10).Select(j => TemporaryEngine.VectorDocument($"d{i}-{j}", TemporaryEngine.RandomVector(random, 8))).ToList());
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (temp.Engine.Store.ListSnapshots("vectors").Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var snapshot = Assert.Single(temp.Engine.Store.ListSnapshots("vectors"));
        Assert.True(snapshot.Sequence >= 50, $"snapshot covers sequence {snapshot.Sequence}");
    }

    [Fact]
    public async Task Changes_after_the_snapshot_are_replayed_on_open()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();
        var random = new Random(5);
        var early = Enumerable.Range(0, 40).Select(i => TemporaryEngine.VectorDocument($"early{i}", TemporaryEngine.RandomVector(random, 8))).ToList();
        await temp.Engine.UpsertAsync("vectors", early);
        await temp.Engine.SnapshotAllAsync();
        var late = TemporaryEngine.VectorDocument("late", TemporaryEngine.RandomVector(random, 8));
        await temp.Engine.UpsertAsync("vectors", [late]);
        await temp.Engine.DeleteAsync("vectors", ["early3"]);
        long snapshotSequence = temp.Engine.Store.ListSnapshots("vectors")[0].Sequence;

        // Reopen a copy of the data folder taken before shutdown, so its snapshot predates the late changes.
        string copy = temp.DataDirectory + "-copy";
        DataFolderDamage.CopyDatabase(temp.DataDirectory, copy);
        await using (var reopened = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = copy }, embedder: null))
        {
            var info = reopened.GetCollection("vectors");
            Assert.Equal(snapshotSequence, reopened.Store.ListSnapshots("vectors")[0].Sequence);
            Assert.Equal(42, info.AppliedSequence);
            Assert.Equal(40, info.IndexedVectors);
            Assert.Equal("late", (await reopened.SearchAsync("vectors", new SearchRequest { Vector = late.Vector })).Hits[0].Id);
            Assert.DoesNotContain("early3", (await reopened.SearchAsync("vectors", new SearchRequest { Vector = early[3].Vector, TopK = 40 })).Hits.Select(h => h.Id));
        }

        Directory.Delete(copy, recursive: true);
    }

    [Fact]
    public async Task A_bit_flipped_snapshot_is_detected_and_the_index_rebuilt_from_stored_vectors()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();
        var random = new Random(6);
        var documents = Enumerable.Range(0, 100).Select(i => TemporaryEngine.VectorDocument($"d{i}", TemporaryEngine.RandomVector(random, 8))).ToList();
        await temp.Engine.UpsertAsync("vectors", documents);
        await temp.Engine.DisposeAsync();

        using (var db = new LiteDatabase(Path.Combine(temp.DataDirectory, "krsbert.db")))
        {
            var parts = db.GetCollection("snapshot_parts");
            foreach (var part in parts.FindAll().ToList())
            {
                byte[] bytes = part["data"].AsBinary;
                bytes[bytes.Length / 2] ^= 0x40;
                part["data"] = bytes;
                parts.Update(part);
            }
        }

        await temp.RestartAsyncAfterDispose();

        Assert.Equal(100, temp.Engine.GetCollection("vectors").IndexedVectors);
        Assert.Equal("d42", (await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = documents[42].Vector! })).Hits[0].Id);
    }
}
