using System.Net;
using System.Net.Sockets;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// Forwards TCP connections from an address a network namespace can reach to a loopback service (the test
/// PostgreSQL listens on 127.0.0.1 only), byte for byte, until disposed.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    public TcpForwarder(string listenAddress, IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Parse(listenAddress), 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(_stopping.Token);
    }

    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => PipeAsync(client, stopping), CancellationToken.None);
        }
    }

    private async Task PipeAsync(TcpClient client, CancellationToken stopping)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(_target, stopping);
                using var both = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                Task up = client.GetStream().CopyToAsync(upstream.GetStream(), both.Token);
                Task down = upstream.GetStream().CopyToAsync(client.GetStream(), both.Token);
                await Task.WhenAny(up, down);
                await both.CancelAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // Either side went away: both close.
            }
        }
    }
}
