using KrSbert.Search.Querying;

namespace KrSbert.Cluster.Querying;

/// <summary>
/// One replica of a shard that answers a query with the shard's own top-k. The transport (gRPC in the server)
/// lives with the host; the cluster library only picks replicas and merges their answers.
/// </summary>
/// <typeparam name="TQuery">The query as the transport carries it.</typeparam>
public interface IShardReplica<in TQuery>
{
    /// <summary>Where the replica is reached, for messages.</summary>
    string Address { get; }

    /// <summary>The shard's top-k for <paramref name="query"/>, ordered by score, then document id.</summary>
    /// <exception cref="ReplicaUnavailableException">The replica cannot answer now (down, starting, catching up): another replica may.</exception>
    Task<IReadOnlyList<SearchHit>> QueryAsync(TQuery query, CancellationToken cancellationToken);
}
