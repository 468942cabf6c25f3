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

    /// <summary>
    /// Reads a local collection name (<see cref="StoreName"/>) back into the collection and version it stores, or
    /// false for a name no collection version makes.
    /// </summary>
    public static bool TryParseStoreName(string storeName, out string collection, out long version)
    {
        ArgumentNullException.ThrowIfNull(storeName);
        int at = storeName.LastIndexOf("__v", StringComparison.Ordinal);
        if (at > 0
            && long.TryParse(storeName.AsSpan(at + 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version)
            && version >= 1
            && storeName == $"{storeName[..at]}__v{version}")
        {
            collection = storeName[..at];
            return true;
        }

        (collection, version) = ("", 0);
        return false;
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
