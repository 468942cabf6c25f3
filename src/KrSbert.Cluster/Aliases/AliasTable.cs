using KrSbert.Storage.Collections;

namespace KrSbert.Cluster.Aliases;

/// <summary>
/// Which version of each collection serves: the <c>krs_alias</c> table as read at one moment. Reads and writes
/// resolve a collection name through it; flipping an alias makes a rebuilt version serve.
/// </summary>
public sealed class AliasTable
{
    private readonly Dictionary<string, CollectionVersion> _serving;

    /// <summary>A table serving <paramref name="versions"/>, one per collection.</summary>
    /// <exception cref="ArgumentException">Two versions of one collection.</exception>
    public AliasTable(IEnumerable<CollectionVersion> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        _serving = new(StringComparer.Ordinal);
        foreach (CollectionVersion version in versions)
        {
            if (!_serving.TryAdd(version.Collection, version))
            {
                throw new ArgumentException($"collection '{version.Collection}' has two serving versions ({_serving[version.Collection].Version} and {version.Version}).", nameof(versions));
            }
        }
    }

    /// <summary>The collections that have a serving version, by name.</summary>
    public IEnumerable<string> Collections => _serving.Keys.Order(StringComparer.Ordinal);

    /// <summary>The serving version of <paramref name="collection"/>.</summary>
    /// <exception cref="CollectionNotFoundException">No alias names the collection.</exception>
    public CollectionVersion Resolve(string collection)
    {
        ArgumentNullException.ThrowIfNull(collection);
        return _serving.TryGetValue(collection, out CollectionVersion? version) ? version : throw new CollectionNotFoundException(collection);
    }

    /// <summary>The serving version of <paramref name="collection"/>, or null when none serves.</summary>
    public CollectionVersion? Find(string collection) => _serving.GetValueOrDefault(collection);
}
