using KrSbert.Cluster.Sharding;

namespace KrSbert.Cluster.Tests.Sharding;

public class ShardMapTests
{
    // Values from Debian's python3-xxhash 3.2.0 (xxhash.xxh32(id.encode("utf-8"), seed=0)), an implementation
    // independent of System.IO.Hashing; the empty string's is the xxHash spec's test vector (0x02CC5D05). Fixed
    // numbers prove the map is the same in every process, which string.GetHashCode is not.
    [Theory]
    [InlineData("", 0x02CC5D05u)]
    [InlineData("a", 0x550D7456u)]
    [InlineData("abc", 0x32D153FFu)]
    [InlineData("doc-1", 0x25477586u)]
    [InlineData("doc-2", 0x81A74963u)]
    [InlineData("회원 탈퇴 방법", 0xE2B58ADAu)]
    [InlineData("Nobody inspects the spammish repetition", 0xE2293B2Fu)]
    public void Hash_is_xxhash32_of_the_utf8_id_with_seed_0(string id, uint expected) =>
        Assert.Equal(expected, ShardMap.Hash(id));

    [Fact]
    public void Hash_of_an_id_longer_than_the_stack_buffer_matches_the_reference() =>
        Assert.Equal(0x342941DDu, ShardMap.Hash(new string('x', 600)));

    [Theory]
    [InlineData("doc-1", 2, 0)]
    [InlineData("doc-2", 2, 1)]
    [InlineData("doc-1", 3, 2)]
    [InlineData("doc-2", 7, 0)]
    [InlineData("회원 탈퇴 방법", 7, 0)]
    [InlineData("abc", 7, 5)]
    [InlineData("abc", 1, 0)]
    public void Shard_is_the_hash_modulo_the_shard_count(string id, int shards, int expected) =>
        Assert.Equal(expected, new ShardMap(shards).ShardOf(id));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(ShardMap.MaxShards + 1)]
    public void A_shard_count_outside_1_to_the_maximum_is_refused(int shards)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ShardMap(shards));
        Assert.Contains($"shard count is {shards}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Group_puts_every_id_on_its_shard_in_input_order_and_spreads_ids_over_all_shards()
    {
        var map = new ShardMap(4);
        string[] ids = [.. Enumerable.Range(0, 400).Select(i => $"doc-{i}")];

        IReadOnlyDictionary<int, List<string>> groups = map.Group(ids, id => id);

        Assert.Equal([0, 1, 2, 3], groups.Keys);
        Assert.Equal(ids.Length, groups.Values.Sum(g => g.Count));
        Assert.All(groups, g => Assert.All(g.Value, id => Assert.Equal(g.Key, map.ShardOf(id))));
        Assert.All(groups.Values, g => Assert.Equal(g.OrderBy(id => Array.IndexOf(ids, id)), g));
        Assert.All(groups.Values, g => Assert.InRange(g.Count, 60, 140));
    }
}
