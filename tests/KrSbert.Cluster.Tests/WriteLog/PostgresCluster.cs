using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace KrSbert.Cluster.Tests.WriteLog;

/// <summary>
/// A throwaway PostgreSQL cluster (Debian's postgresql 15) in a temporary folder on a free loopback port, removed
/// after the tests. As root it runs as the <c>postgres</c> user, which PostgreSQL requires. Where the server is not
/// installed the tests skip with the reason, except under CI (<c>CI</c> set), where <c>.ci/run</c> installs it and
/// they must run.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private static readonly bool s_root = Environment.UserName == "root";
    private string? _directory;
    private int _port;

    /// <summary>Why the tests cannot run here, or null when they can.</summary>
    public static string? Unavailable { get; } = Find();

    /// <summary>Whether a missing server fails instead of skipping.</summary>
    public static bool IsRequired => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (Unavailable is { } reason)
        {
            if (IsRequired)
            {
                throw new InvalidOperationException($"PostgreSQL tests cannot run: {reason}. CI must install it (.ci/run does).");
            }

            return;
        }

        _directory = Path.Combine(Path.GetTempPath(), "krsbert-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        if (s_root)
        {
            await RunAsync("chown", ["postgres:postgres", _directory]).ConfigureAwait(false);
        }

        string data = Path.Combine(_directory, "data");
        _port = FreePort();
        await RunPostgresAsync("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"]).ConfigureAwait(false);
        await StartAsync().ConfigureAwait(false);
        DataSource = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=40;Timeout=30");
    }

    /// <summary>
    /// Stops the server as an operator's fast shutdown does (<c>pg_ctl -m fast</c>: open sessions are ended, nothing
    /// committed is lost), for a test of what clients do while PostgreSQL is down. <see cref="StartAsync"/> brings it back.
    /// </summary>
    public Task StopAsync() =>
        RunPostgresAsync("pg_ctl", ["-D", Path.Combine(_directory!, "data"), "-m", "fast", "-w", "-t", "60", "stop"]);

    /// <summary>Starts the server on its port and data folder (at set-up, or again after <see cref="StopAsync"/>).</summary>
    public Task StartAsync() =>
        RunPostgresAsync("pg_ctl", ["-D", Path.Combine(_directory!, "data"), "-l", Path.Combine(_directory!, "server.log"), "-w", "-t", "60",
            "-o", $"-p {_port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]);

    /// <summary>A database of its own for one test, so tests do not see each other's rows.</summary>
    public async Task<NpgsqlDataSource> CreateDatabaseAsync()
    {
        string name = "t" + Guid.NewGuid().ToString("N");
        await using (NpgsqlCommand create = DataSource.CreateCommand($"CREATE DATABASE {name}"))
        {
            await create.ExecuteNonQueryAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        var builder = new NpgsqlConnectionStringBuilder(DataSource.ConnectionString) { Database = name };
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_directory is null)
        {
            return;
        }

        if (DataSource is not null)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            // A test that stopped the server and failed before starting it again leaves nothing to stop.
            if (File.Exists(Path.Combine(_directory, "data", "postmaster.pid")))
            {
                await RunPostgresAsync("pg_ctl", ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"]).ConfigureAwait(false);
            }
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static string? Find()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "initdb")))
        {
            return $"{BinDirectory}/initdb is missing (install Debian's postgresql package)";
        }

        if (s_root && !File.Exists("/usr/sbin/runuser") && !File.Exists("/sbin/runuser"))
        {
            return "running as root needs runuser to start PostgreSQL as the postgres user, and it is missing";
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunPostgresAsync(string program, string[] arguments) =>
        s_root
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(BinDirectory, program), .. arguments])
            : RunAsync(Path.Combine(BinDirectory, program), arguments);

    private static async Task RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish in 90 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error.ConfigureAwait(false)}{await output.ConfigureAwait(false)}");
        }
    }
}

/// <summary>The tests that share one throwaway PostgreSQL cluster.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresTests : ICollectionFixture<PostgresCluster>
{
    public const string Name = "PostgreSQL";
}

/// <summary>A fact that needs PostgreSQL: skipped with the reason where it is not installed, except under CI.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!PostgresCluster.IsRequired && PostgresCluster.Unavailable is { } reason)
        {
            Skip = $"needs PostgreSQL: {reason}";
        }
    }
}
