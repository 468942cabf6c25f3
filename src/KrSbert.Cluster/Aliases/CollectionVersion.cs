using KrSbert.Storage.Collections;

namespace KrSbert.Cluster.Aliases;

/// <summary>
/// One version of a collection: its shard count (fixed per version) and the name its shards store it under locally,
/// so versions v and v+1 can sit side by side on a replica while the alias flips.
/// </summary>
public sealed record CollectionVersion
{
    /// <summary>Version <paramref name="version"/> of <paramref name="collection"/>, split into <paramref name="shardCount"/> shards.</summary>
    /// <exception cref="ArgumentException">A bad collection name (or one too long to carry a version), or a version below 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A shard count outside 1 to <see cref="Sharding.ShardMap.MaxShards"/>.</exception>
    public CollectionVersion(string collection, long version, int shardCount)
    {
        CollectionName.Validate(collection);
        if (version < 1)
        {
            throw new ArgumentException($"version is {version}; it must be at least 1.", nameof(version));
        }

        Collection = collection;
        Version = version;
        Shards = new Sharding.ShardMap(shardCount);
        StoreName = $"{collection}__v{version}";
        if (!CollectionName.IsValid(StoreName))
        {
            throw new ArgumentException($"collection '{collection}' with version {version} makes a local name of {StoreName.Length} characters; the limit is {CollectionName.MaxLength}.", nameof(collection));
        }
    }

    /// <summary>The name clients use.</summary>
    public string Collection { get; }

    /// <summary>The version, from 1.</summary>
    public long Version { get; }

    /// <summary>Where each document of this version lives.</summary>
    public Sharding.ShardMap Shards { get; }

    /// <summary>The local collection name a shard replica stores this version under.</summary>
    public string StoreName { get; }
}
