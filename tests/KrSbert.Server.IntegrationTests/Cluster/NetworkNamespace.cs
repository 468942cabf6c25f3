using System.Diagnostics;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// A network namespace of its own joined to this one by a veth pair on a private /30 (needs root and iproute2's
/// <c>ip</c>). Taking the host end's link down partitions whatever runs inside. Deleted (with the pair) on dispose.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private NetworkNamespace(string name, string hostLink, string hostAddress, string innerAddress)
    {
        (Name, HostLink, HostAddress, InnerAddress) = (name, hostLink, hostAddress, innerAddress);
    }

    public string Name { get; }

    /// <summary>The veth end in this namespace.</summary>
    public string HostLink { get; }

    /// <summary>This namespace's address on the pair (reachable from inside).</summary>
    public string HostAddress { get; }

    /// <summary>The inner namespace's address on the pair.</summary>
    public string InnerAddress { get; }

    /// <summary>Why a namespace cannot be made here (not root, no <c>ip</c>, or <c>ip netns add</c>'s exact error), or null when it can; probed once.</summary>
    public static string? Unavailable { get; } = Probe();

    /// <summary>Creates the namespace, the pair and their addresses (10.213.N.0/30, N random), both ends up.</summary>
    public static async Task<NetworkNamespace> CreateAsync()
    {
        int id = Random.Shared.Next(1, 255);
        string suffix = $"{Environment.ProcessId % 10000}x{id}";
        var created = new NetworkNamespace($"krs-part-{suffix}", $"krsh{suffix}", $"10.213.{id}.1", $"10.213.{id}.2");
        string inner = $"krsn{suffix}";
        try
        {
            await IpAsync("netns", "add", created.Name);
            await IpAsync("link", "add", created.HostLink, "type", "veth", "peer", "name", inner);
            await IpAsync("link", "set", inner, "netns", created.Name);
            await IpAsync("addr", "add", $"{created.HostAddress}/30", "dev", created.HostLink);
            await IpAsync("link", "set", created.HostLink, "up");
            await IpAsync("netns", "exec", created.Name, "ip", "addr", "add", $"{created.InnerAddress}/30", "dev", inner);
            await IpAsync("netns", "exec", created.Name, "ip", "link", "set", inner, "up");
            await IpAsync("netns", "exec", created.Name, "ip", "link", "set", "lo", "up");
            return created;
        }
        catch
        {
            await created.DisposeAsync();
            throw;
        }
    }

    /// <summary>Takes the host end's link down: packets to and from the namespace are dropped, no connection is reset.</summary>
    public Task PartitionAsync() => IpAsync("link", "set", HostLink, "down");

    public async ValueTask DisposeAsync()
    {
        // Deleting the namespace removes its veth end, and with it the pair.
        await RunAsync("ip", "link", "del", HostLink);
        await RunAsync("ip", "netns", "del", Name);
    }

    private static string? Probe()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return "network namespaces need root (this test process is not privileged)";
        }

        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            return "iproute2's ip is not installed";
        }

        string probe = $"krs-probe-{Environment.ProcessId}";
        (int code, string error) = RunAsync("ip", "netns", "add", probe).GetAwaiter().GetResult();
        if (code != 0)
        {
            return $"'ip netns add' failed ({code}): {error.Trim()}";
        }

        _ = RunAsync("ip", "netns", "del", probe).GetAwaiter().GetResult();
        return null;
    }

    private static async Task IpAsync(params string[] arguments)
    {
        (int code, string error) = await RunAsync("ip", arguments);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({code}): {error.Trim()}");
        }
    }

    private static async Task<(int Code, string Error)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        _ = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await error.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
