namespace KrSbert.Index.Tests;

public sealed class LiveKeysTests
{
    [Fact]
    public void Random_adds_and_removes_agree_with_a_hash_set_at_every_step()
    {
        var keys = new LiveKeys();
        var expected = new HashSet<ulong>();
        var random = new Random(7);
        for (int step = 0; step < 60_000; step++)
        {
            // A small key range makes collisions, long probe runs and removals inside runs common.
            ulong key = (ulong)random.Next(0, 3_000);
            if (random.Next(3) == 0)
            {
                Assert.Equal(expected.Remove(key), keys.Remove(key));
            }
            else if (expected.Add(key))
            {
                keys.Add(key);
            }

            if (step % 997 == 0)
            {
                Assert.Equal(expected.Count, keys.Count);
                Assert.Equal(expected.Order(), keys.Keys.ToArray().Order());
                Assert.All(Enumerable.Range(0, 3_000).Select(k => (ulong)k), k => Assert.Equal(expected.Contains(k), keys.Contains(k)));
            }
        }
    }

    [Fact]
    public void Keys_whose_hashes_share_a_run_are_all_found_after_one_in_the_middle_is_removed()
    {
        var keys = new LiveKeys();
        // Multiples of 2^60 differ only above the bits Fibonacci hashing keeps at 16 slots, so several land together.
        ulong[] crowded = [.. Enumerable.Range(0, 10).Select(i => (ulong)i << 60)];
        foreach (ulong key in crowded)
        {
            keys.Add(key);
        }

        Assert.True(keys.Remove(crowded[3]));

        Assert.False(keys.Contains(crowded[3]));
        Assert.All(crowded.Where(k => k != crowded[3]), k => Assert.True(keys.Contains(k)));
        Assert.Equal(9, keys.Count);
    }

    [Fact]
    public void Removing_a_key_moves_the_last_key_into_its_position_and_keeps_it_findable()
    {
        var keys = new LiveKeys();
        keys.Add(10);
        keys.Add(20);
        keys.Add(30);

        Assert.True(keys.Remove(10));
        Assert.False(keys.Remove(10));

        Assert.Equal([30UL, 20UL], keys.Keys.ToArray());
        Assert.True(keys.Remove(30));
        Assert.Equal([20UL], keys.Keys.ToArray());
    }

    [Fact]
    public void Adding_a_key_already_held_is_refused_and_changes_nothing()
    {
        var keys = new LiveKeys();
        keys.Add(ulong.MaxValue - 1);

        Assert.Throws<ArgumentException>(() => keys.Add(ulong.MaxValue - 1));
        Assert.Equal(1, keys.Count);
    }

    [Fact]
    public void A_batch_reserved_ahead_holds_its_keys_without_regrowing_and_after_growing_past_it()
    {
        var keys = new LiveKeys();
        keys.EnsureCapacity(1_000);
        for (ulong key = 0; key < 5_000; key++)
        {
            keys.Add(key * 31);
        }

        Assert.Equal(5_000, keys.Count);
        Assert.True(Enumerable.Range(0, 5_000).All(i => keys.Contains((ulong)i * 31)));
        Assert.False(keys.Contains(1));
        Assert.Equal(31UL * 4_999, keys[4_999]);
    }
}
