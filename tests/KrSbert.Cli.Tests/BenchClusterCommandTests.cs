using System.Net;
using System.Net.Sockets;

namespace KrSbert.Cli.Tests;

/// <summary>The failures of <c>krsbert bench cluster</c> a user can cause, each refused before any server starts.</summary>
public sealed class BenchClusterCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Bench_cluster_refuses_a_layout_that_is_not_shards_x_replicas()
    {
        var result = await RunAsync("--postgres", "Host=127.0.0.1;Port=1;Username=postgres", "--layouts", "1x1,2by2");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--layouts '1x1,2by2': '2by2' is not SHARDSxREPLICAS", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_cluster_refuses_a_connection_string_without_a_host()
    {
        var result = await RunAsync("--postgres", "Port=5432;Username=postgres");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--postgres names no Host", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_cluster_reports_a_postgres_nobody_answers_as_unavailable()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var result = await RunAsync("--postgres", $"Host=127.0.0.1;Port={port};Username=postgres;Timeout=5");

        Assert.Equal(7, result.ExitCode);
        Assert.StartsWith("krsbert: postgres: ", result.Error, StringComparison.Ordinal);
    }

    private static async Task<KrSbertProcess.Result> RunAsync(params string[] arguments)
    {
        string input = Path.Combine(Path.GetTempPath(), "krsbert-bench-cluster-" + Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllLinesAsync(input, ["도서관은 평일 아침 일찍 문을 연다", "빵집은 신선한 빵을 판다"]);
        try
        {
            return await KrSbertProcess.RunAsync(null, ["bench", "cluster", "--input", input, .. arguments]).WaitAsync(Timeout);
        }
        finally
        {
            File.Delete(input);
        }
    }
}
