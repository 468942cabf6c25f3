using KrSbert.Cluster.Aliases;
using KrSbert.Search;
using KrSbert.Server.Options;

namespace KrSbert.Server.Cluster;

internal sealed partial class ClusterNode
{
    /// <summary>
    /// Drops the local store of each version of a serving collection that is neither serving nor followed (drained
    /// by a rebuild, or staged by one that failed), once <see cref="ClusterOptions.DrainedVersionGraceSeconds"/> have passed since
    /// this replica first saw it so: reads sent to it just before the flip finish first.
    /// </summary>
    private async Task DropRetiredAsync(SearchEngine engine, AliasTable aliases, List<CollectionVersion> followed, CancellationToken stopping)
    {
        if (cluster.Value.DrainedVersionGraceSeconds < 0)
        {
            return;
        }

        var kept = new HashSet<string>(followed.Select(v => v.StoreName), StringComparer.Ordinal);
        DateTime now = DateTime.UtcNow;
        foreach (Search.Collections.CollectionInfo local in engine.ListCollections())
        {
            if (kept.Contains(local.Name) || Retired(local.Name, aliases) is not { } retired)
            {
                continue;
            }

            if (!_retired.TryGetValue(local.Name, out DateTime since))
            {
                _retired[local.Name] = since = now;
            }

            if (now - since < TimeSpan.FromSeconds(cluster.Value.DrainedVersionGraceSeconds))
            {
                continue;
            }

            await DropLocalStoreAsync(local.Name, stopping).ConfigureAwait(false);
            _retired.Remove(local.Name);
            Server.Log.LocalVersionDropped(logger, retired.Collection, retired.Version);
        }
    }

    /// <summary>
    /// The version <paramref name="storeName"/> holds when it is a version of a serving collection other than the
    /// serving one (the caller has left out the staged ones), else null: older ones were drained by a rebuild, newer
    /// ones were staged by a rebuild that failed and unstaged them.
    /// </summary>
    private static (string Collection, long Version)? Retired(string storeName, AliasTable aliases) =>
        CollectionVersion.TryParseStoreName(storeName, out string collection, out long version)
            && aliases.Find(collection) is { } serving && version != serving.Version
            ? (collection, version)
            : null;
}
