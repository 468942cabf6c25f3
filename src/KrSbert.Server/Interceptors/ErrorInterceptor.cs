using Grpc.Core;
using Grpc.Core.Interceptors;
using KrSbert.Embedding;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Storage;
using KrSbert.Storage.Collections;

namespace KrSbert.Server.Interceptors;

/// <summary>
/// Turns what the engine throws into gRPC statuses: bad input INVALID_ARGUMENT naming the field, unknown
/// collections NOT_FOUND, taken names ALREADY_EXISTS, requests that do not fit the collection FAILED_PRECONDITION,
/// limits and a full data folder RESOURCE_EXHAUSTED, a failed or reopening store UNAVAILABLE. Anything else is logged once with an id and reaches
/// the client as a generic INTERNAL error carrying that id.
/// </summary>
internal sealed class ErrorInterceptor(ILogger<ErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    internal RpcException Map(Exception e, ServerCallContext context)
    {
        (StatusCode code, string message) = e switch
        {
            OperationCanceledException when context.Deadline < DateTime.UtcNow => (StatusCode.DeadlineExceeded, "The deadline passed before the call finished."),
            OperationCanceledException or IOException when context.CancellationToken.IsCancellationRequested => (StatusCode.Cancelled, "The call was cancelled."),
            CollectionNotFoundException notFound => (StatusCode.NotFound, notFound.Message),
            CollectionExistsException exists => (StatusCode.AlreadyExists, exists.Message),
            CollectionMismatchException mismatch => (StatusCode.FailedPrecondition, $"{mismatch.Field}: {mismatch.Message}"),
            LimitExceededException limit => (StatusCode.ResourceExhausted, limit.Message),
            StoreFullException full => (StatusCode.ResourceExhausted, full.Message),
            StoreUnavailableException unavailable => (StatusCode.Unavailable, unavailable.Message),
            InvalidDocumentsException invalid => (StatusCode.InvalidArgument, invalid.Message),
            TextTooLongException tooLong => (StatusCode.ResourceExhausted, tooLong.Message),
            InvalidTextException text => (StatusCode.InvalidArgument, text.Message),
            ArgumentException argument => (StatusCode.InvalidArgument, argument.Message),
            FormatException format => (StatusCode.InvalidArgument, format.Message),
            _ => (StatusCode.Internal, ""),
        };

        if (code == StatusCode.Internal)
        {
            string id = Guid.NewGuid().ToString("N")[..12];
            Log.UnexpectedError(logger, context.Method, id, e);
            message = $"Internal error (id {id}); the server log has the details.";
        }

        return new RpcException(new Status(code, message));
    }
}
