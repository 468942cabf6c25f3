using Grpc.Core;
using KrSbert.Protos.V1;
using KrSbert.Search;
using KrSbert.Search.Querying;
using KrSbert.Server.Hosting;
using KrSbert.Server.Mapping;
using KrSbert.Server.Options;
using Microsoft.Extensions.Options;

namespace KrSbert.Server.Services;

/// <summary><c>krsbert.v1.Search</c>: nearest neighbours by text or vector, alone or in a batch.</summary>
internal sealed class SearchService(EngineHost host, IOptions<ServerOptions> options, Cluster.ClusterNode node, IServiceProvider services) : Protos.V1.Search.SearchBase
{
    public override async Task<QueryResponse> Query(QueryRequest request, ServerCallContext context)
    {
        switch (node.Role)
        {
            case ClusterRole.Router:
                return await services.GetRequiredService<Cluster.ClusterRouter>().QueryAsync(request, context);
            case ClusterRole.Shard:
                await node.BeforeShardQueryAsync(request.Collection, request.HasConsistencyToken ? request.ConsistencyToken : null, context.Deadline, context.CancellationToken);
                break;
            default:
                break;
        }

        return ProtoMapper.ToProto(await host.Engine.SearchAsync(request.Collection, ProtoMapper.ToSearch(request), context.CancellationToken));
    }

    public override async Task<QueryBatchResponse> QueryBatch(QueryBatchRequest request, ServerCallContext context)
    {
        int limit = options.Value.Limits.MaxBatchItems;
        if (request.Queries.Count > limit)
        {
            throw new LimitExceededException("queries", request.Queries.Count, limit);
        }

        // Concurrent queries share embedding batches through the batcher.
        if (node.Role == ClusterRole.Router)
        {
            // Each query is scattered on its own; they share the router's embedding batches.
            var router = services.GetRequiredService<Cluster.ClusterRouter>();
            var routed = new QueryBatchResponse();
            routed.Results.AddRange(await Task.WhenAll(request.Queries.Select((q, i) => RoutedItemAsync(router, q, i, context))));
            return routed;
        }

        var results = await Task.WhenAll(request.Queries.Select((q, i) => QueryItemAsync(q, i, context.CancellationToken)));
        var response = new QueryBatchResponse();
        response.Results.AddRange(results.Select(ProtoMapper.ToProto));
        return response;
    }

    private static async Task<QueryResponse> RoutedItemAsync(Cluster.ClusterRouter router, QueryRequest query, int index, ServerCallContext context)
    {
        try
        {
            return await router.QueryAsync(query, context.Deadline, context.CancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new RequestItemException($"queries[{index}]", e);
        }
    }

    private async Task<Search.Querying.SearchResult> QueryItemAsync(QueryRequest query, int index, CancellationToken cancellationToken)
    {
        try
        {
            return await host.Engine.SearchAsync(query.Collection, ProtoMapper.ToSearch(query), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new RequestItemException($"queries[{index}]", e);
        }
    }
}
