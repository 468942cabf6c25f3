using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using KrSbert.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KrSbert.Server.IntegrationTests;

/// <summary>A real KrSbert server on a loopback port with a real data folder, and a gRPC channel to it.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private WebApplication? _app;

    private TestServer(Dictionary<string, string?> settings, string dataDirectory)
    {
        _settings = settings;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public int Port { get; private set; }

    public int MetricsPort { get; private set; }

    public GrpcChannel Channel { get; private set; } = null!;

    public EngineHost Host => _app!.Services.GetRequiredService<EngineHost>();

    /// <summary>Whether the application asked itself to stop (a builder that finished or gave up).</summary>
    public bool Stopping => _app!.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested;

    public static async Task<TestServer> StartAsync(Dictionary<string, string?>? settings = null, string? dataDirectory = null, bool waitUntilReady = true)
    {
        var server = new TestServer(settings ?? [], dataDirectory ?? Path.Combine(Path.GetTempPath(), "krsbert-server-" + Guid.NewGuid().ToString("N")));
        await server.StartAppAsync(waitUntilReady);
        return server;
    }

    /// <summary>Stops the server gracefully (snapshots, store closed) and starts a new one on the same data folder.</summary>
    public async Task RestartAsync()
    {
        await StopAppAsync();
        await StartAppAsync(waitUntilReady: true);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    /// <summary>The optimised-graph cache test servers share (a data folder's own cache would be rebuilt per test).</summary>
    public static string SharedModelCache { get; } = Path.Combine(Path.GetTempPath(), "krsbert-test-model-cache");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task StartAppAsync(bool waitUntilReady)
    {
        Port = FreePort();
        // A port just released may be handed out again at once: the metrics port must differ from the gRPC one.
        do
        {
            MetricsPort = FreePort();
        }
        while (MetricsPort == Port);
        var settings = new Dictionary<string, string?>
        {
            ["KrSbert:DataDirectory"] = DataDirectory,
            ["KrSbert:Listen"] = $"127.0.0.1:{Port}",
            ["KrSbert:MetricsListen"] = $"127.0.0.1:{MetricsPort}",
            ["Logging:LogLevel:Default"] = "Warning",
            // One optimised-graph cache for every test server, so each start reuses the embedded model's graph.
            ["KrSbert:ModelCache"] = SharedModelCache,
        };
        foreach ((string key, string? value) in _settings)
        {
            settings[key] = value;
        }

        _app = KrSbertServer.Build([], configuration => configuration.AddInMemoryCollection(settings));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _app.StartAsync(timeout.Token);
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{Port}", new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 64 * 1024 * 1024 });
        if (waitUntilReady)
        {
            await Host.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    private async Task StopAppAsync()
    {
        if (_app is null)
        {
            return;
        }

        Channel.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        _app = null;
    }
}
