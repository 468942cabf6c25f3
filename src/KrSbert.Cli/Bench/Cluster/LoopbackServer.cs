using Grpc.Health.V1;
using Grpc.Net.Client;
using KrSbert.Server;
using KrSbert.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KrSbert.Cli.Bench.Cluster;

/// <summary>
/// A KrSbert server in this process on a loopback port and a temporary data folder of its own (deleted when
/// disposed), in any cluster role: what <c>bench cluster</c> measures. Its console log shows warnings only, and
/// never the model warnings, which every server of a run would repeat.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _data;
    private bool _started;

    private LoopbackServer(WebApplication app, string data, int port)
    {
        (_app, _data, Port) = (app, data, port);
        Channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
    }

    public int Port { get; }

    public string Address => $"http://127.0.0.1:{Port}";

    public GrpcChannel Channel { get; }

    /// <summary>
    /// Builds a server with <paramref name="settings"/> (KrSbert configuration keys) listening on <paramref name="port"/>
    /// (a free one when null); it starts with <see cref="StartAsync(CancellationToken)"/>, so a caller can attach a log first.
    /// </summary>
    public static LoopbackServer Create(IReadOnlyDictionary<string, string?> settings, int? port = null)
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-bench-cluster-" + Guid.NewGuid().ToString("N"));
        int listen = port ?? FreePort();
        var all = new Dictionary<string, string?>
        {
            ["KrSbert:DataDirectory"] = data,
            ["KrSbert:Listen"] = $"127.0.0.1:{listen}",
            ["KrSbert:MetricsListen"] = "",
            ["Logging:LogLevel:Default"] = "Warning",
            // Information from the cluster node and the engine reaches an attached log (recovery's phases); the console keeps to warnings.
            ["Logging:LogLevel:KrSbert.Server.Cluster"] = "Information",
            ["Logging:LogLevel:KrSbert.Search"] = "Information",
            ["Logging:Console:LogLevel:Default"] = "Warning",
            ["Logging:Console:LogLevel:KrSbert.Server.Hosting.EngineHost"] = "Error",
            ["Logging:Console:LogLevel:KrSbert.Model"] = "Error",
        };
        foreach ((string key, string? value) in settings)
        {
            all[key] = value;
        }

        return new LoopbackServer(KrSbertServer.Build([], c => c.AddInMemoryCollection(all)), data, listen);
    }

    /// <summary>Creates a server, starts it and waits until its collections are open.</summary>
    public static async Task<LoopbackServer> StartAsync(IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        LoopbackServer server = Create(settings);
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
            await server.OpenedAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends this server's log events to <paramref name="provider"/> as well (before <see cref="StartAsync(CancellationToken)"/>, to see its start).</summary>
    public void AttachLog(ILoggerProvider provider) => _app.Services.GetRequiredService<ILoggerFactory>().AddProvider(provider);

    /// <summary>Starts the host: a shard replica with a snapshot folder has restored its snapshot when this returns.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _started = true;
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the engine has opened its collections (a restored snapshot loaded).</summary>
    /// <exception cref="InvalidOperationException">The server could not open its model or data folder.</exception>
    public async Task OpenedAsync(CancellationToken cancellationToken)
    {
        EngineHost host = _app.Services.GetRequiredService<EngineHost>();
        await host.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (host.OpenFailure is { } failure)
        {
            throw new InvalidOperationException($"the server on port {Port} could not open: {failure.Message}");
        }
    }

    /// <summary>Waits until the overall health is SERVING: for a shard replica, caught up with its log.</summary>
    public async Task ServingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var health = new Health.HealthClient(Channel);
        try
        {
            while ((await health.CheckAsync(new HealthCheckRequest(), cancellationToken: deadline.Token).ConfigureAwait(false)).Status != HealthCheckResponse.Types.ServingStatus.Serving)
            {
                await Task.Delay(20, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the server on port {Port} did not report SERVING within {timeout.TotalSeconds:F0} s.");
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Cancelled && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the server on port {Port} did not report SERVING within {timeout.TotalSeconds:F0} s.");
        }
    }

    /// <summary>Waits until the server stops by itself (a builder stops once its snapshots are published).</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        IHostApplicationLifetime lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStopping.Register(() => stopped.TrySetResult()))
        {
            await stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        try
        {
            if (_started)
            {
                await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await _app.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (Directory.Exists(_data))
            {
                Directory.Delete(_data, recursive: true);
            }
        }
    }

    /// <summary>A loopback port nothing listens on now (for a replica whose address the router must know before it starts).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
