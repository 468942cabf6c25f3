using System.Runtime.CompilerServices;
using Grpc.Core;
using KrSbert.Protos.V1;
using KrSbert.Search;
using KrSbert.Search.Documents;
using KrSbert.Server.Hosting;
using KrSbert.Server.Mapping;
using KrSbert.Server.Options;
using Microsoft.Extensions.Options;

namespace KrSbert.Server.Services;

/// <summary><c>krsbert.v1.Documents</c>: upsert (all or nothing), streaming ingest (per-document failures), get, delete, list ids by filter.</summary>
internal sealed class DocumentsService(EngineHost host, IOptions<ServerOptions> options, Cluster.ClusterNode node, IServiceProvider services) : Documents.DocumentsBase
{
    public override async Task<UpsertResponse> Upsert(UpsertRequest request, ServerCallContext context)
    {
        if (node.Role == ClusterRole.Router)
        {
            return await services.GetRequiredService<Cluster.ClusterRouter>().UpsertAsync(request, context.CancellationToken);
        }

        var result = await host.Engine.UpsertAsync(request.Collection, request.Documents.Select(ProtoMapper.ToInput).ToList(), allOrNothing: true, context.CancellationToken);
        var response = new UpsertResponse { Sequence = (ulong)result.Sequence };
        response.Ids.AddRange(result.Ids);
        return response;
    }

    public override async Task<IngestResponse> Ingest(IAsyncStreamReader<IngestRequest> requestStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return new IngestResponse();
        }

        IngestRequest first = requestStream.Current;
        string collection = string.IsNullOrEmpty(first.Collection)
            ? throw new ArgumentException("collection: the first message of an ingest stream must name the collection.", nameof(requestStream))
            : first.Collection;
        if (node.Role == ClusterRole.Router)
        {
            return await services.GetRequiredService<Cluster.ClusterRouter>().IngestAsync(
                collection, Documents(first, requestStream, collection, context.CancellationToken), Math.Min(256, options.Value.Limits.MaxDocumentsPerRequest), context.CancellationToken);
        }

        IngestResult result = await host.Engine.IngestAsync(collection, Documents(first, requestStream, collection, context.CancellationToken), cancellationToken: context.CancellationToken);
        var response = new IngestResponse { Received = (ulong)result.Received, Stored = (ulong)result.Stored, Sequence = (ulong)result.Sequence };
        response.Failures.AddRange(result.Failures.Select(f => new DocumentError { Index = (ulong)f.Index, Id = f.Id ?? "", Field = f.Field, Reason = f.Reason }));
        return response;
    }

    public override async Task<GetDocumentsResponse> Get(GetDocumentsRequest request, ServerCallContext context)
    {
        if (request.Ids.Count > options.Value.Limits.MaxDocumentsPerRequest)
        {
            throw new LimitExceededException("ids", request.Ids.Count, options.Value.Limits.MaxDocumentsPerRequest);
        }

        switch (node.Role)
        {
            case ClusterRole.Router:
                return await services.GetRequiredService<Cluster.ClusterRouter>().GetDocumentsAsync(request, context.Deadline, context.CancellationToken);
            case ClusterRole.Shard:
                // A replica still catching up answers UNAVAILABLE, so the router asks another rather than reading a stale shard.
                await node.BeforeShardQueryAsync(request.Collection, null, context.Deadline, context.CancellationToken);
                break;
            default:
                break;
        }

        var response = new GetDocumentsResponse();
        response.Documents.AddRange(host.Engine.GetDocuments(request.Collection, request.Ids, request.IncludeVectors).Select(d => ProtoMapper.ToProto(d, request.IncludeVectors)));
        return response;
    }

    public override async Task<DeleteDocumentsResponse> Delete(DeleteDocumentsRequest request, ServerCallContext context)
    {
        if (node.Role == ClusterRole.Router)
        {
            return await services.GetRequiredService<Cluster.ClusterRouter>().DeleteAsync(request, context.Deadline, context.CancellationToken);
        }

        bool byFilter = request.Filter is { Must.Count: > 0 };
        if (byFilter == request.Ids.Count > 0)
        {
            throw new ArgumentException("give ids or filter, one of the two.", nameof(request));
        }

        int deleted = byFilter
            ? await host.Engine.DeleteByFilterAsync(request.Collection, ProtoMapper.ToFilter(request.Filter), context.CancellationToken)
            : await host.Engine.DeleteAsync(request.Collection, request.Ids, context.CancellationToken);
        return new DeleteDocumentsResponse { Deleted = (ulong)deleted };
    }

    public override async Task<ListIdsResponse> ListIds(ListIdsRequest request, ServerCallContext context)
    {
        int limit = request.Limit == 0 ? options.Value.Limits.MaxDocumentsPerRequest : (int)Math.Min(request.Limit, int.MaxValue);
        switch (node.Role)
        {
            case ClusterRole.Router:
                return await services.GetRequiredService<Cluster.ClusterRouter>().ListIdsAsync(request, limit, context.Deadline, context.CancellationToken);
            case ClusterRole.Shard:
                // A router's delete by filter lists after the heads it read: the replica answers once it has applied them.
                await node.BeforeShardQueryAsync(request.Collection, request.HasConsistencyToken ? request.ConsistencyToken : null, context.Deadline, context.CancellationToken);
                break;
            default:
                break;
        }

        var response = new ListIdsResponse();
        response.Ids.AddRange(host.Engine.ListIds(request.Collection, ProtoMapper.ToFilter(request.Filter), request.After.Length == 0 ? null : request.After, limit));
        return response;
    }

    /// <summary>The stream's documents; a later message may repeat the collection's name but not name another.</summary>
    private static async IAsyncEnumerable<DocumentInput> Documents(IngestRequest first, IAsyncStreamReader<IngestRequest> requestStream, string collection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return ToInput(first);
        for (long received = 1; await requestStream.MoveNext(cancellationToken); received++)
        {
            IngestRequest message = requestStream.Current;
            if (message.Collection.Length > 0 && message.Collection != collection)
            {
                throw new ArgumentException($"collection: message {received} names '{message.Collection}', the stream began with '{collection}'.", nameof(requestStream));
            }

            yield return ToInput(message);
        }
    }

    private static DocumentInput ToInput(IngestRequest message) =>
        message.Document is null ? new DocumentInput(null, null) : ProtoMapper.ToInput(message.Document);
}
