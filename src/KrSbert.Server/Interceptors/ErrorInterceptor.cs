using Grpc.Core;
using Grpc.Core.Interceptors;
using KrSbert.Embedding;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Server.Mapping;
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
        // An item of a batch fails as the item would alone, its message naming the item.
        string prefix = "";
        while (e is RequestItemException item)
        {
            prefix += item.Field + ": ";
            e = item.InnerException!;
        }

        if (e is RpcException rpc)
        {
            return new RpcException(new Status(rpc.StatusCode, prefix + rpc.Status.Detail));
        }

        (StatusCode code, string message) = e switch
        {
            OperationCanceledException when context.Deadline < DateTime.UtcNow => (StatusCode.DeadlineExceeded, "The deadline passed before the call finished."),
            OperationCanceledException or IOException when context.CancellationToken.IsCancellationRequested => (StatusCode.Cancelled, "The call was cancelled."),
            CollectionNotFoundException notFound => (StatusCode.NotFound, notFound.Message),
            CollectionExistsException exists => (StatusCode.AlreadyExists, exists.Message),
            CollectionMismatchException mismatch => (StatusCode.FailedPrecondition, $"{mismatch.Field}: {mismatch.Message}"),
            CollectionUnavailableException unavailable => (StatusCode.FailedPrecondition, unavailable.Message),
            LimitExceededException limit => (StatusCode.ResourceExhausted, limit.Message),
            StoreFullException full => (StatusCode.ResourceExhausted, full.Message),
            StoreUnavailableException unavailable => (StatusCode.Unavailable, unavailable.Message),
            ObjectDisposedException => (StatusCode.Unavailable, "The server is shutting down; retry against a running server."),
            InvalidDocumentsException invalid => (StatusCode.InvalidArgument, invalid.Message),
            TextTooLongException tooLong => (StatusCode.ResourceExhausted, tooLong.Message),
            InvalidTextException text => (StatusCode.InvalidArgument, text.Message),
            ArgumentException argument => (StatusCode.InvalidArgument, Describe(argument)),
            FormatException format => (StatusCode.InvalidArgument, format.Message),
            _ => (StatusCode.Internal, ""),
        };

        if (code == StatusCode.Internal)
        {
            string id = Guid.NewGuid().ToString("N")[..12];
            Log.UnexpectedError(logger, context.Method, id, e);
            message = $"Internal error (id {id}); the server log has the details.";
        }

        return new RpcException(new Status(code, prefix + message));
    }

    /// <summary>The message without .NET's parameter and value suffixes, which name C# identifiers rather than request fields.</summary>
    private static string Describe(ArgumentException e)
    {
        string message = e.Message;
        int actual = message.IndexOf("\nActual value was", StringComparison.Ordinal);
        if (actual >= 0)
        {
            message = message[..actual];
        }

        return e.ParamName is { } name ? message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : message;
    }
}
