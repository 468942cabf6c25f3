namespace KrSbert.Index.Tests;

public class MutationTests
{
    private static HnswIndex Create(int dimensions = 4) => HnswIndex.Create(new HnswOptions { Dimensions = dimensions });

    [Fact]
    public void Adding_a_key_that_is_present_replaces_its_vector()
    {
        using var index = Create();
        index.Add(1, [1, 0, 0, 0]);
        index.Add(2, [0, 1, 0, 0]);

        index.Add(1, [0, 0, 1, 0]);

        Assert.Equal(2, index.Count);
        Assert.Equal(1UL, index.Search([0, 0, 1, 0], 1)[0].Key);
        Assert.Equal(1f, index.Search([0, 0, 1, 0], 1)[0].Score, 1e-6f);
        Assert.Equal(2UL, index.Search([0.1f, 1, 0, 0], 1)[0].Key);
        var stored = new float[4];
        Assert.True(index.TryGetVector(1, stored));
        Assert.Equal([0f, 0f, 1f, 0f], stored);
    }

    [Fact]
    public void A_batch_replaces_keys_that_are_present()
    {
        using var index = Create();
        index.AddBatch([1, 2], [1, 0, 0, 0, 0, 1, 0, 0]);

        index.AddBatch([2, 3], [0, 0, 1, 0, 0, 0, 0, 1]);

        Assert.Equal(3, index.Count);
        Assert.Equal(2UL, index.Search([0, 0, 1, 0], 1)[0].Key);
    }

    [Fact]
    public void Remove_removes_the_key_and_counts_a_tombstone()
    {
        using var index = Create();
        index.AddBatch([1, 2, 3], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);

        Assert.True(index.Remove(1));
        Assert.False(index.Remove(1));
        Assert.False(index.Remove(42));

        Assert.False(index.Contains(1));
        Assert.True(index.Contains(2));
        Assert.Equal(2, index.Count);
        Assert.Equal(1, index.RemovedCount);
        Assert.DoesNotContain(index.Search([1, 0, 0, 0], 3), h => h.Key == 1);
        Assert.DoesNotContain(index.SearchExact([1, 0, 0, 0], 3), h => h.Key == 1);
        Assert.False(index.TryGetVector(1, new float[4]));
    }

    [Fact]
    public void An_add_after_a_remove_reuses_the_tombstoned_slot()
    {
        using var index = Create();
        index.AddBatch([1, 2, 3], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
        index.Remove(1);
        index.Remove(2);

        index.Add(4, [0, 0, 0, 1]);

        Assert.Equal(1, index.RemovedCount);
        Assert.Equal(2, index.Count);
        Assert.Equal([4UL, 3UL], index.Search([0, 0, 0.1f, 1], 5).Select(h => h.Key));
    }

    [Fact]
    public void Replacing_a_key_leaves_no_tombstone_behind()
    {
        using var index = Create();
        index.Add(1, [1, 0, 0, 0]);

        for (int i = 0; i < 100; i++)
        {
            index.Add(1, [1, i, 0, 0]);
        }

        Assert.Equal(1, index.Count);
        Assert.Equal(0, index.RemovedCount);
    }

    [Fact]
    public void Capacity_grows_ahead_of_single_adds()
    {
        using var index = Create(8);
        var random = new Random(3);

        for (ulong key = 0; key < 3000; key++)
        {
            index.Add(key, [.. Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble() + 0.01f)]);
        }

        Assert.Equal(3000, index.Count);
        Assert.True(index.Contains(2999));
        Assert.True(index.MemoryBytes > 3000 * 8 * sizeof(float));
    }

    [Fact]
    public void Engine_names_usearch_and_its_version()
    {
        using var index = Create();

        Assert.StartsWith("USearch 2.26.6", index.Engine, StringComparison.Ordinal);
    }
}
