using Grpc.Core;
using KrSbert.Cluster.Aliases;
using KrSbert.Storage.Collections;
using Npgsql;

namespace KrSbert.Server.Cluster;

internal sealed partial class ClusterRouter
{
    /// <summary>
    /// Runs <paramref name="read"/> against the version of <paramref name="collection"/> this router's alias copy
    /// names. When the replicas answer that they do not hold it, the copy was stale (the version was drained after a
    /// rebuild, or the collection deleted and made again, through another router since the last refresh): the alias
    /// is read afresh and the read runs once more against the version serving now.
    /// </summary>
    private async Task<T> ReadAsync<T>(string collection, long minimumVersion, Func<CollectionVersion, Task<T>> read, CancellationToken cancellationToken)
    {
        CollectionVersion version = await ResolveForReadAsync(collection, minimumVersion, cancellationToken).ConfigureAwait(false);
        try
        {
            return await read(version).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && e.Status.Detail.Contains($"'{version.StoreName}'", StringComparison.Ordinal))
        {
            CollectionVersion? current;
            try
            {
                current = (await node.Aliases.RefreshAsync(cancellationToken).ConfigureAwait(false)).Find(collection);
            }
            catch (NpgsqlException)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, $"Version {version.Version} of '{collection}' is gone from its replicas, and the write log's PostgreSQL cannot be reached to tell which version serves now."));
            }

            if (current is null)
            {
                throw new CollectionNotFoundException(collection);
            }

            if (current.Version == version.Version)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, $"The replicas do not hold version {version.Version} of '{collection}', which serves; they pick a version up within their poll interval."));
            }

            await EnsureLocalAsync(current, cancellationToken).ConfigureAwait(false);
            return await read(current).ConfigureAwait(false);
        }
    }
}
