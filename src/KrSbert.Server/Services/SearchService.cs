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
internal sealed class SearchService(EngineHost host, IOptions<ServerOptions> options) : Protos.V1.Search.SearchBase
{
    public override async Task<QueryResponse> Query(QueryRequest request, ServerCallContext context) =>
        ProtoMapper.ToProto(await host.Engine.SearchAsync(request.Collection, ProtoMapper.ToSearch(request), context.CancellationToken));

    public override async Task<QueryBatchResponse> QueryBatch(QueryBatchRequest request, ServerCallContext context)
    {
        int limit = options.Value.Limits.MaxBatchItems;
        if (request.Queries.Count > limit)
        {
            throw new LimitExceededException("queries", request.Queries.Count, limit);
        }

        // Concurrent queries share embedding batches through the batcher.
        var results = await Task.WhenAll(request.Queries.Select((q, i) => QueryItemAsync(i, q, context.CancellationToken)));
        var response = new QueryBatchResponse();
        response.Results.AddRange(results.Select(ProtoMapper.ToProto));
        return response;
    }

    /// <summary>One query of a batch; a bad field is named with its place in the batch (queries[3]: score_threshold ...).</summary>
    private async Task<SearchResult> QueryItemAsync(int index, QueryRequest query, CancellationToken cancellationToken)
    {
        try
        {
            return await host.Engine.SearchAsync(query.Collection, ProtoMapper.ToSearch(query), cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"queries[{index}]: {e.Message}", e);
        }
    }
}
