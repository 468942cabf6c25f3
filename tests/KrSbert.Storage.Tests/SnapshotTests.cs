using KrSbert.Storage.Snapshots;
using LiteDB;

namespace KrSbert.Storage.Tests;

public class SnapshotTests
{
    [Fact]
    public async Task A_saved_snapshot_reads_back_identical_and_is_published()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());
        byte[] data = RandomBytes(3_500_000, 1);

        var saved = await temp.Store.SaveSnapshotAsync("faq", 42, data);
        temp.Reopen();

        var listed = Assert.Single(temp.Store.ListSnapshots("faq"));
        Assert.Equal((saved.Generation, 42L, 4), (listed.Generation, listed.Sequence, listed.Parts));
        Assert.Equal(saved.Generation, temp.Store.GetCollection("faq")!.SnapshotGeneration);
        Assert.Equal(data, temp.Store.ReadSnapshot(listed));
    }

    [Fact]
    public async Task Only_the_newest_and_the_previous_generation_are_kept()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());

        for (int i = 1; i <= 4; i++)
        {
            await temp.Store.SaveSnapshotAsync("faq", i * 10, RandomBytes(1000, i));
        }

        Assert.Equal([4L, 3], temp.Store.ListSnapshots("faq").Select(s => s.Generation));
        Assert.Equal([40L, 30], temp.Store.ListSnapshots("faq").Select(s => s.Sequence));
    }

    [Fact]
    public async Task A_snapshot_that_cannot_be_written_leaves_the_previous_generation_published_and_valid()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(TimeSpan.FromSeconds(60));
        byte[] first = RandomBytes(2_500_000, 1);
        var saved = await temp.Store.SaveSnapshotAsync("faq", 10, first).WaitAsync(TimeSpan.FromSeconds(60));
        long written = 0;
        // The disk fills up part way through the second generation's parts.
        temp.Store.WriteFault = () => Interlocked.Add(ref written, 8192) > 1_000_000 ? new IOException("No space left on device", 28) : null;

        await Assert.ThrowsAsync<StoreFullException>(() => temp.Store.SaveSnapshotAsync("faq", 20, RandomBytes(3_000_000, 2)).WaitAsync(TimeSpan.FromSeconds(60)));
        temp.Store.WriteFault = null;
        temp.Reopen();

        var listed = Assert.Single(temp.Store.ListSnapshots("faq"));
        Assert.Equal((saved.Generation, 10L), (listed.Generation, listed.Sequence));
        Assert.Equal(saved.Generation, temp.Store.GetCollection("faq")!.SnapshotGeneration);
        Assert.Equal(first, temp.Store.ReadSnapshot(listed));
        var next = await temp.Store.SaveSnapshotAsync("faq", 20, RandomBytes(3_000_000, 2)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(saved.Generation + 1, next.Generation);
    }

    [Fact]
    public async Task A_bit_flipped_snapshot_is_detected_by_its_checksum()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());
        var saved = await temp.Store.SaveSnapshotAsync("faq", 1, RandomBytes(5000, 3));

        var parts = temp.Store.Database.GetCollection(StoreSchema.SnapshotParts);
        BsonDocument part = parts.FindById($"1:{saved.Generation}:0");
        byte[] bytes = part["data"].AsBinary;
        bytes[1234] ^= 0x10;
        part["data"] = bytes;
        parts.Update(part);

        Assert.Throws<SnapshotCorruptException>(() => temp.Store.ReadSnapshot(saved));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
