using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using KrSbert.Server.Metrics;
using KrSbert.Server.Options;
using Microsoft.Extensions.Options;

namespace KrSbert.Server.Interceptors;

/// <summary>
/// What every call passes before it runs: the API key (when one is set; the health service stays open),
/// the limit on concurrent calls (beyond it RESOURCE_EXHAUSTED, not an unbounded queue), and metrics.
/// A singleton, so the limit counts every call.
/// </summary>
internal sealed class AccessInterceptor : Interceptor, IDisposable
{
    private const string HealthPrefix = "/grpc.health.v1.Health/";
    private readonly byte[]? _apiKey;
    private readonly SemaphoreSlim _slots;
    private readonly int _maxConcurrent;
    private readonly ServerMetrics _metrics;

    public AccessInterceptor(IOptions<ServerOptions> options, ServerMetrics metrics)
    {
        _apiKey = options.Value.ApiKey is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : null;
        _maxConcurrent = options.Value.Limits.MaxConcurrentRequests;
        _slots = new SemaphoreSlim(_maxConcurrent, _maxConcurrent);
        _metrics = metrics;
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, () => continuation(request, context));

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, () => continuation(requestStream, context));

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, async () =>
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            return true;
        });

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, async () =>
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
            return true;
        });

    public void Dispose() => _slots.Dispose();

    private async Task<T> GuardAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        long started = Stopwatch.GetTimestamp();
        StatusCode code = StatusCode.OK;
        bool health = context.Method.StartsWith(HealthPrefix, StringComparison.Ordinal);
        bool slot = false;
        try
        {
            if (!health)
            {
                CheckKey(context);
                slot = _slots.Wait(0);
                if (!slot)
                {
                    throw new RpcException(new Status(StatusCode.ResourceExhausted, $"The server is serving its limit of {_maxConcurrent} concurrent calls; retry with backoff."));
                }
            }

            return await call().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        catch
        {
            code = StatusCode.Internal;
            throw;
        }
        finally
        {
            if (slot)
            {
                _slots.Release();
            }

            _metrics.RecordRequest(context.Method, code.ToString(), Stopwatch.GetElapsedTime(started));
        }
    }

    private void CheckKey(ServerCallContext context)
    {
        if (_apiKey is null)
        {
            return;
        }

        string? given = context.RequestHeaders.GetValue("x-api-key");
        if (given is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _apiKey))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, given is null ? "This server needs an API key in metadata 'x-api-key'." : "The API key in 'x-api-key' is not valid."));
        }
    }
}
