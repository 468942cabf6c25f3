using KrSbert.Index.Tests.TestSupport;

namespace KrSbert.Index.Tests;

public sealed class SnapshotFileTests : IDisposable
{
    private static readonly ClusteredData s_data = new(count: 500, dimensions: 16, queries: 5, seed: 21);
    private readonly string _directory = Directory.CreateTempSubdirectory("krsbert-index-").FullName;

    private string SnapshotPath => Path.Combine(_directory, "index.hnsw");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static HnswIndex Build(int count)
    {
        var index = HnswIndex.Create(new HnswOptions { Dimensions = 16 });
        index.AddBatch(s_data.Keys.AsSpan(0, count), s_data.Vectors.AsSpan(0, count * 16));
        return index;
    }

    [Fact]
    public void Write_then_read_round_trips_and_leaves_no_temporary_file()
    {
        using HnswIndex index = Build(500);

        IndexSnapshotFile.Write(index, SnapshotPath);
        IndexSnapshotReadResult result = IndexSnapshotFile.Read(SnapshotPath);
        using HnswIndex loaded = result.Index;

        Assert.False(result.FellBack);
        Assert.Equal(SnapshotPath, result.Path);
        Assert.Equal(index.Search(s_data.Query(0), 10), loaded.Search(s_data.Query(0), 10));
        Assert.False(File.Exists(SnapshotPath + ".tmp"));
        Assert.False(File.Exists(SnapshotPath + ".prev"));
    }

    [Fact]
    public void A_second_write_keeps_the_first_as_the_previous_generation()
    {
        using HnswIndex first = Build(100);
        using HnswIndex second = Build(200);

        IndexSnapshotFile.Write(first, SnapshotPath);
        IndexSnapshotFile.Write(second, SnapshotPath);

        using (var stream = File.OpenRead(SnapshotPath))
        using (HnswIndex newest = HnswIndex.Load(stream))
        {
            Assert.Equal(200, newest.Count);
        }

        using (var stream = File.OpenRead(SnapshotPath + ".prev"))
        using (HnswIndex previous = HnswIndex.Load(stream))
        {
            Assert.Equal(100, previous.Count);
        }
    }

    [Fact]
    public void A_corrupt_newest_snapshot_falls_back_to_the_previous_one()
    {
        using HnswIndex first = Build(100);
        using HnswIndex second = Build(200);
        IndexSnapshotFile.Write(first, SnapshotPath);
        IndexSnapshotFile.Write(second, SnapshotPath);
        byte[] bytes = File.ReadAllBytes(SnapshotPath);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(SnapshotPath, bytes);

        IndexSnapshotReadResult result = IndexSnapshotFile.Read(SnapshotPath);
        using HnswIndex loaded = result.Index;

        Assert.True(result.FellBack);
        Assert.IsType<IndexSnapshotCorruptException>(result.NewestError);
        Assert.Equal(SnapshotPath + ".prev", result.Path);
        Assert.Equal(100, loaded.Count);
    }

    [Fact]
    public void An_interrupted_write_leaves_the_snapshot_readable()
    {
        using HnswIndex index = Build(100);
        IndexSnapshotFile.Write(index, SnapshotPath);
        // A write killed midway leaves a partial temporary file; readers never look at it and the next write replaces it.
        File.WriteAllBytes(SnapshotPath + ".tmp", [1, 2, 3]);

        using (HnswIndex loaded = IndexSnapshotFile.Read(SnapshotPath).Index)
        {
            Assert.Equal(100, loaded.Count);
        }

        IndexSnapshotFile.Write(index, SnapshotPath);
        Assert.False(File.Exists(SnapshotPath + ".tmp"));
    }

    [Fact]
    public void When_both_generations_are_corrupt_the_error_says_so()
    {
        using HnswIndex index = Build(100);
        IndexSnapshotFile.Write(index, SnapshotPath);
        IndexSnapshotFile.Write(index, SnapshotPath);
        foreach (string path in new[] { SnapshotPath, SnapshotPath + ".prev" })
        {
            byte[] bytes = File.ReadAllBytes(path);
            bytes[200] ^= 1;
            File.WriteAllBytes(path, bytes);
        }

        var e = Assert.Throws<IndexSnapshotCorruptException>(() => IndexSnapshotFile.Read(SnapshotPath));

        Assert.Contains("Both", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_snapshot_without_a_previous_one_is_file_not_found()
    {
        Assert.Throws<FileNotFoundException>(() => IndexSnapshotFile.Read(SnapshotPath));
    }
}
