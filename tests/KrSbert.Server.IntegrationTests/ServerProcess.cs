using System.Diagnostics;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace KrSbert.Server.IntegrationTests;

/// <summary>
/// The server as users run it: a <c>krsbert serve</c> child process on a loopback port, which a test can
/// SIGKILL. The process is killed when the test ends, however it ends.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, string host, int port)
    {
        _process = process;
        Port = port;
        Address = $"http://{host}:{port}";
        Channel = GrpcChannel.ForAddress(Address);
    }

    public int Port { get; }

    public string Address { get; }

    public GrpcChannel Channel { get; }

    /// <summary>Starts a server on <paramref name="dataDirectory"/> and waits until health says SERVING; <paramref name="settings"/> are extra flags such as <c>--KrSbert:Key=value</c>.</summary>
    public static Task<ServerProcess> StartAsync(string dataDirectory, TimeSpan? timeout = null, params string[] settings) =>
        StartAsync([], "127.0.0.1", dataDirectory, timeout, settings);

    /// <summary>Starts a server inside network namespace <paramref name="networkNamespace"/> (<c>ip netns exec</c>), listening on <paramref name="host"/>, its address there.</summary>
    public static Task<ServerProcess> StartInNamespaceAsync(string networkNamespace, string host, string dataDirectory, TimeSpan? timeout = null, params string[] settings) =>
        StartAsync(["ip", "netns", "exec", networkNamespace], host, dataDirectory, timeout, settings);

    private static async Task<ServerProcess> StartAsync(string[] prefix, string host, string dataDirectory, TimeSpan? timeout, string[] settings)
    {
        int port = TestServer.FreePort();
        string[] command = [.. prefix, "dotnet"];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])[.. command[1..], Path.Combine(AppContext.BaseDirectory, "krsbert.dll"), "serve", "--data", dataDirectory, "--listen", $"{host}:{port}", "--metrics", $"{host}:{TestServer.FreePort()}", "--model-cache", TestServer.SharedModelCache, .. settings])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        // The pipes are drained so a chatty server never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, host, port);
        try
        {
            await server.WaitUntilServingAsync(timeout ?? TimeSpan.FromSeconds(90));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash or an OOM killer would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await KillAsync();
        _process.Dispose();
    }

    private async Task WaitUntilServingAsync(TimeSpan timeout)
    {
        var health = new Health.HealthClient(Channel);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} before serving.");
            }

            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"The server did not serve within {timeout}.");
            }

            await Task.Delay(200);
        }
    }
}
