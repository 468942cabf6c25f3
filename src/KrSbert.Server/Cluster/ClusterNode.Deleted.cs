using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.WriteLog;

namespace KrSbert.Server.Cluster;

internal sealed partial class ClusterNode
{
    /// <summary>
    /// A shard replica's local stores of a deleted collection's versions: no alias names the collection and none
    /// of its versions is staged. Each one's tailer stops, then the store goes. A collection that is only drained
    /// (its alias names a later version) keeps its older versions here.
    /// </summary>
    private async Task DropDeletedAsync(PostgresWriteLog log, AliasTable aliases, IReadOnlyList<CollectionVersion> staged, CancellationToken stopping)
    {
        foreach (string name in host.Engine.ListCollections().Select(c => c.Name).ToList())
        {
            if (!CollectionVersion.TryParseStoreName(name, out string collection, out long version)
                || aliases.Find(collection) is not null
                || staged.Any(v => v.Collection == collection)
                || !await log.IsDeletedAsync(collection, version, stopping).ConfigureAwait(false))
            {
                // A missing alias alone is no delete: a log emptied or restored from before the collection would drop its only copy.
                continue;
            }

            await DropLocalStoreAsync(name, stopping).ConfigureAwait(false);
            Server.Log.ShardVersionDropped(logger, collection, version, cluster.Value.Shard);
        }
    }

    /// <summary>Stops the tailer of the local store <paramref name="storeName"/>, forgets its applier, then deletes the store.</summary>
    private async Task DropLocalStoreAsync(string storeName, CancellationToken stopping)
    {
        if (_tailing.TryRemove(storeName, out Tailing? tailing))
        {
            await tailing.Stop.CancelAsync().ConfigureAwait(false);
            await tailing.Running.WaitAsync(stopping).ConfigureAwait(false);
            tailing.Stop.Dispose();
        }

        _appliers.TryRemove(storeName, out _);
        await host.Engine.DeleteCollectionAsync(storeName, stopping).ConfigureAwait(false);
        _retired.Remove(storeName);
    }

    /// <summary>A version's tailer and what stops it.</summary>
    private sealed record Tailing(CancellationTokenSource Stop, Task Running);
}
