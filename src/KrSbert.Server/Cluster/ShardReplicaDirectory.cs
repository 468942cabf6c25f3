using System.Collections.Concurrent;
using System.Net;
using KrSbert.Cluster.Querying;
using KrSbert.Server.Options;
using Microsoft.Extensions.Options;

namespace KrSbert.Server.Cluster;

/// <summary>
/// The router's view of each shard's replicas: the configured addresses, each host resolved by DNS to all its
/// addresses (a headless Service answers with every ready replica), re-resolved every few seconds so replicas
/// that come and go are followed. One channel per replica address is kept and reused.
/// </summary>
internal sealed class ShardReplicaDirectory : IDisposable
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private readonly Uri[][] _configured;
    private readonly int _maxMessageBytes;
    private readonly ConcurrentDictionary<string, GrpcShardReplica> _replicas = new(StringComparer.Ordinal);
    // Entries are replaced whole (a reference), so a query reading one while another refreshes it never sees half of each.
    private readonly Resolved?[] _resolved;

    public ShardReplicaDirectory(IOptions<ClusterOptions> cluster, IOptions<ServerOptions> server)
    {
        _configured = [.. cluster.Value.ShardAddresses.Select(a => a.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u)).ToArray())];
        _resolved = new Resolved?[_configured.Length];
        _maxMessageBytes = server.Value.Limits.MaxMessageBytes;
    }

    /// <summary>The replicas of <paramref name="shard"/> as DNS lists them now (cached for a few seconds).</summary>
    public async ValueTask<IReadOnlyList<IShardReplica<ShardQuery>>> ReplicasAsync(int shard, CancellationToken cancellationToken)
    {
        if (shard >= _configured.Length)
        {
            // A version with more shards than this process lists addresses for: that shard has no replica to ask.
            return [];
        }

        if (Volatile.Read(ref _resolved[shard]) is { } cached && DateTime.UtcNow - cached.At < Refresh)
        {
            return cached.Replicas;
        }

        var replicas = new List<IShardReplica<ShardQuery>>();
        foreach (Uri uri in _configured[shard])
        {
            IEnumerable<string> hosts;
            if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
            {
                hosts = [uri.Host];
            }
            else
            {
                try
                {
                    IPAddress[] addresses = await Dns.GetHostAddressesAsync(uri.DnsSafeHost, cancellationToken).ConfigureAwait(false);
                    hosts = addresses.Select(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString());
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // No ready replica is listed (a headless Service with no endpoints has no records): none to ask.
                    continue;
                }
            }

            foreach (string host in hosts)
            {
                string address = $"{uri.Scheme}://{host}:{uri.Port}";
                replicas.Add(_replicas.GetOrAdd(address, a => new GrpcShardReplica(a, _maxMessageBytes)));
            }
        }

        Volatile.Write(ref _resolved[shard], new Resolved(DateTime.UtcNow, replicas));
        return replicas;
    }

    public void Dispose()
    {
        foreach (GrpcShardReplica replica in _replicas.Values)
        {
            replica.Dispose();
        }
    }

    private sealed record Resolved(DateTime At, IReadOnlyList<IShardReplica<ShardQuery>> Replicas);
}
