using System.IO.Hashing;
using System.Text;

namespace KrSbert.Cluster.Sharding;

/// <summary>
/// Which shard of a collection version holds a document: xxHash32 (seed 0) of the id's UTF-8 bytes, modulo the
/// version's fixed shard count. The hash is the same in every process and on every machine, which
/// <see cref="string.GetHashCode()"/> (randomised per process) is not; routers and builders must agree on it.
/// </summary>
public sealed class ShardMap
{
    /// <summary>The most shards a collection version may have.</summary>
    public const int MaxShards = 1024;

    /// <summary>A map over <paramref name="shardCount"/> shards.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The count is below 1 or over <see cref="MaxShards"/>.</exception>
    public ShardMap(int shardCount)
    {
        if (shardCount is < 1 or > MaxShards)
        {
            throw new ArgumentOutOfRangeException(nameof(shardCount), shardCount, $"shard count is {shardCount}; it must be between 1 and {MaxShards}.");
        }

        ShardCount = shardCount;
    }

    /// <summary>The number of shards, fixed for a collection version.</summary>
    public int ShardCount { get; }

    /// <summary>The shard, 0 to <see cref="ShardCount"/> − 1, that holds document <paramref name="id"/>.</summary>
    public int ShardOf(string id) => (int)(Hash(id) % (uint)ShardCount);

    /// <summary>Groups items by the shard of their document id, keeping each shard's items in input order.</summary>
    public IReadOnlyDictionary<int, List<T>> Group<T>(IEnumerable<T> items, Func<T, string> id)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(id);
        var groups = new SortedDictionary<int, List<T>>();
        foreach (T item in items)
        {
            int shard = ShardOf(id(item));
            if (!groups.TryGetValue(shard, out List<T>? group))
            {
                groups[shard] = group = [];
            }

            group.Add(item);
        }

        return groups;
    }

    /// <summary>xxHash32 with seed 0 of the UTF-8 bytes of <paramref name="id"/>.</summary>
    public static uint Hash(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        int length = Encoding.UTF8.GetByteCount(id);
        byte[]? rented = null;
        Span<byte> bytes = length <= 512 ? stackalloc byte[length] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            Encoding.UTF8.GetBytes(id, bytes);
            return XxHash32.HashToUInt32(bytes, seed: 0);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
