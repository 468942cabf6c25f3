using Grpc.Core;
using Grpc.Net.Client;
using KrSbert.Cluster.Querying;
using KrSbert.Protos.V1;
using KrSbert.Search.Querying;

namespace KrSbert.Server.Cluster;

/// <summary>A shard replica reached over gRPC (its Query RPC); a replica that cannot be reached is <see cref="ReplicaUnavailableException"/>, so the router tries another.</summary>
internal sealed class GrpcShardReplica : IShardReplica<ShardQuery>, IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Protos.V1.Search.SearchClient _client;

    public GrpcShardReplica(string address, int maxMessageBytes)
    {
        Address = address;
        // Keep-alive pings find a connection whose peer vanished without a reset (a partition); a connect that gets no answer gives up soon.
        var handler = new SocketsHttpHandler
        {
            KeepAlivePingDelay = TimeSpan.FromSeconds(5),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            EnableMultipleHttp2Connections = true,
        };
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = maxMessageBytes, MaxSendMessageSize = maxMessageBytes, HttpHandler = handler, DisposeHttpClient = true });
        _client = new Protos.V1.Search.SearchClient(_channel);
    }

    public string Address { get; }

    public async Task<IReadOnlyList<SearchHit>> QueryAsync(ShardQuery query, CancellationToken cancellationToken)
    {
        QueryResponse response;
        try
        {
            response = await _client.QueryAsync(query.Request, query.Headers, query.Deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable || (e.StatusCode is StatusCode.Internal or StatusCode.Unknown && e.Status.DebugException is HttpRequestException or IOException))
        {
            // Down, restarting, still catching up, or the connection broke mid-call: the query reads nothing, so another replica may answer it.
            throw new ReplicaUnavailableException(Address, e.Status.Detail, e);
        }

        return [.. response.Hits.Select(h => new SearchHit(h.Id, h.Score, h.Text, new Dictionary<string, string>(h.Metadata), (int)h.ChunkIndex, (int)h.ChunkStart, (int)h.ChunkEnd))];
    }

    public void Dispose() => _channel.Dispose();
}
