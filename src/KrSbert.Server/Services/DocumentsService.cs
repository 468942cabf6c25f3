using Grpc.Core;
using KrSbert.Protos.V1;
using KrSbert.Search;
using KrSbert.Search.Documents;
using KrSbert.Server.Hosting;
using KrSbert.Server.Mapping;
using KrSbert.Server.Options;
using Microsoft.Extensions.Options;

namespace KrSbert.Server.Services;

/// <summary><c>krsbert.v1.Documents</c>: upsert (all or nothing), streaming ingest (per-document failures), get, delete.</summary>
internal sealed class DocumentsService(EngineHost host, IOptions<ServerOptions> options) : Documents.DocumentsBase
{
    /// <summary>Documents gathered from the stream before one write; reading stops meanwhile, which is the backpressure.</summary>
    private const int IngestBatch = 256;

    public override async Task<UpsertResponse> Upsert(UpsertRequest request, ServerCallContext context)
    {
        var result = await host.Engine.UpsertAsync(request.Collection, request.Documents.Select(ProtoMapper.ToInput).ToList(), allOrNothing: true, context.CancellationToken);
        var response = new UpsertResponse { Sequence = (ulong)result.Sequence };
        response.Ids.AddRange(result.Ids);
        return response;
    }

    public override async Task<IngestResponse> Ingest(IAsyncStreamReader<IngestRequest> requestStream, ServerCallContext context)
    {
        SearchEngine engine = host.Engine;
        var response = new IngestResponse();
        var batch = new List<DocumentInput>(IngestBatch);
        string? collection = null;
        ulong received = 0, first = 0;

        // While batch N commits (store and index), batch N+1 is read and embedded; commits stay in order.
        Task<UpsertResult>? committing = null;
        ulong committingFirst = 0;
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                IngestRequest message = requestStream.Current;
                if (collection is null)
                {
                    collection = string.IsNullOrEmpty(message.Collection)
                        ? throw new ArgumentException("collection: the first message of an ingest stream must name the collection.", nameof(requestStream))
                        : message.Collection;
                    engine.GetCollection(collection);
                }
                else if (message.Collection.Length > 0 && message.Collection != collection)
                {
                    throw new ArgumentException($"collection: message {received} names '{message.Collection}', the stream began with '{collection}'.", nameof(requestStream));
                }

                batch.Add(message.Document is null ? new DocumentInput(null, null) : ProtoMapper.ToInput(message.Document));
                received++;
                if (batch.Count == IngestBatch)
                {
                    (committing, committingFirst) = await NextAsync(engine, collection, batch, first, committing, committingFirst, response, context.CancellationToken);
                    first = received;
                }
            }

            if (collection is not null && batch.Count > 0)
            {
                (committing, committingFirst) = await NextAsync(engine, collection, batch, first, committing, committingFirst, response, context.CancellationToken);
            }

            if (committing is not null)
            {
                Collect(await committing, committingFirst, response);
                committing = null;
            }
        }
        finally
        {
            // A stream that fails or is cancelled still lets the commit under way finish: each batch is atomic.
            if (committing is not null)
            {
                await committing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        response.Received = received;
        return response;
    }

    public override Task<GetDocumentsResponse> Get(GetDocumentsRequest request, ServerCallContext context)
    {
        if (request.Ids.Count > options.Value.Limits.MaxDocumentsPerRequest)
        {
            throw new LimitExceededException("ids", request.Ids.Count, options.Value.Limits.MaxDocumentsPerRequest);
        }

        var response = new GetDocumentsResponse();
        response.Documents.AddRange(host.Engine.GetDocuments(request.Collection, request.Ids, request.IncludeVectors).Select(d => ProtoMapper.ToProto(d, request.IncludeVectors)));
        return Task.FromResult(response);
    }

    public override async Task<DeleteDocumentsResponse> Delete(DeleteDocumentsRequest request, ServerCallContext context)
    {
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

    private static async Task<(Task<UpsertResult> Committing, ulong First)> NextAsync(SearchEngine engine, string collection, List<DocumentInput> batch, ulong first, Task<UpsertResult>? previous, ulong previousFirst, IngestResponse response, CancellationToken cancellationToken)
    {
        PreparedUpsert prepared = await engine.PrepareUpsertAsync(collection, [.. batch], allOrNothing: false, cancellationToken);
        batch.Clear();
        if (previous is not null)
        {
            Collect(await previous, previousFirst, response);
        }

        return (engine.CommitAsync(prepared, cancellationToken), first);
    }

    private static void Collect(UpsertResult result, ulong first, IngestResponse response)
    {
        response.Stored += (ulong)result.Ids.Count;
        response.Sequence = (ulong)result.Sequence;
        foreach (DocumentFailure failure in result.Failures)
        {
            response.Failures.Add(new DocumentError { Index = first + (ulong)failure.Index, Id = failure.Id ?? "", Field = failure.Field, Reason = failure.Reason });
        }
    }
}
