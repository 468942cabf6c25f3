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
    private readonly Documents.DocumentsClient _documents;
    private readonly Collections.CollectionsClient _collections;

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
        _documents = new Documents.DocumentsClient(_channel);
        _collections = new Collections.CollectionsClient(_channel);
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

    /// <summary>The shard's stored documents with the request's ids (the local collection name already set).</summary>
    /// <exception cref="ReplicaUnavailableException">The replica cannot answer now: another replica may.</exception>
    public async Task<GetDocumentsResponse> GetDocumentsAsync(GetDocumentsRequest request, Metadata headers, DateTime? deadline, CancellationToken cancellationToken)
    {
        try
        {
            return await _documents.GetAsync(request, headers, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (Unreachable(e))
        {
            throw new ReplicaUnavailableException(Address, e.Status.Detail, e);
        }
    }

    /// <summary>The shard's part of a collection version (<paramref name="storeName"/>): its counts.</summary>
    /// <exception cref="ReplicaUnavailableException">The replica cannot answer now: another replica may.</exception>
    public async Task<CollectionInfo> GetCollectionAsync(string storeName, Metadata headers, DateTime? deadline, CancellationToken cancellationToken)
    {
        try
        {
            return await _collections.GetAsync(new GetCollectionRequest { Name = storeName }, headers, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (Unreachable(e))
        {
            throw new ReplicaUnavailableException(Address, e.Status.Detail, e);
        }
    }

    /// <summary>A page of the shard's ids matching a filter (the local collection name already set).</summary>
    /// <exception cref="ReplicaUnavailableException">The replica cannot answer now: another replica may.</exception>
    public async Task<ListIdsResponse> ListIdsAsync(ListIdsRequest request, Metadata headers, DateTime? deadline, CancellationToken cancellationToken)
    {
        try
        {
            return await _documents.ListIdsAsync(request, headers, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (Unreachable(e))
        {
            throw new ReplicaUnavailableException(Address, e.Status.Detail, e);
        }
    }

    /// <summary>Down, restarting, still catching up, or the connection broke mid-call: a read changes nothing, so another replica may answer it.</summary>
    private static bool Unreachable(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable || (e.StatusCode is StatusCode.Internal or StatusCode.Unknown && e.Status.DebugException is HttpRequestException or IOException);

    public void Dispose() => _channel.Dispose();
}
