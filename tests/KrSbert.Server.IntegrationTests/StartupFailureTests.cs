using System.Net;
using System.Net.Sockets;
using KrSbert.Cli.Tests;

namespace KrSbert.Server.IntegrationTests;

/// <summary>
/// The server started as users start it (<c>dotnet run --project src/KrSbert.Server</c>, <c>krsbert serve</c>) with a
/// port taken or a bad setting: one line on standard error naming the setting, the documented exit code, no stack trace.
/// </summary>
public sealed class StartupFailureTests : IDisposable
{
    private const int BadSetting = 2;
    private const int CannotListen = 9;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _data = Path.Combine(Path.GetTempPath(), "krsbert-start-" + Guid.NewGuid().ToString("N"));

    public static TheoryData<string> Hosts => ["server", "serve"];

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_taken_metrics_port_is_one_line_naming_MetricsListen_and_exit_code_9(string host)
    {
        using var taken = Occupy(out int port);
        string grpc = $"127.0.0.1:{TestServer.FreePort()}";

        var result = await StartAsync(host, "--listen", grpc, "--metrics", $"127.0.0.1:{port}");

        AssertOneLine(result, CannotListen, $"KrSbert:MetricsListen 127.0.0.1:{port}: address already in use");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_taken_grpc_port_is_one_line_naming_Listen_and_exit_code_9(string host)
    {
        using var taken = Occupy(out int port);

        var result = await StartAsync(host, "--listen", $"127.0.0.1:{port}", "--metrics", $"127.0.0.1:{TestServer.FreePort()}");

        AssertOneLine(result, CannotListen, $"KrSbert:Listen 127.0.0.1:{port}: address already in use");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_setting_out_of_range_is_one_line_naming_it_and_exit_code_2(string host)
    {
        var result = await StartAsync(host, "--KrSbert:Limits:MaxTopK=0", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:Limits:MaxTopK is 0; it must be between 1 and 10000.");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_word_where_a_number_belongs_is_one_line_naming_the_setting_and_exit_code_2(string host)
    {
        var result = await StartAsync(host, "--KrSbert:Limits:MaxTopK=many", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "'many' at 'KrSbert:Limits:MaxTopK'");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Metrics_on_the_grpc_port_is_one_line_naming_both_settings_and_exit_code_2(string host)
    {
        string address = $"127.0.0.1:{TestServer.FreePort()}";

        var result = await StartAsync(host, "--listen", address, "--metrics", address);

        AssertOneLine(result, BadSetting, $"KrSbert:MetricsListen '{address}' is the port of KrSbert:Listen '{address}'");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_data_folder_that_is_a_file_is_one_line_naming_DataDirectory_and_exit_code_2(string host)
    {
        Directory.CreateDirectory(_data);
        string file = Path.Combine(_data, "not-a-folder");
        await File.WriteAllTextAsync(file, "x").WaitAsync(Timeout);

        var result = await StartAsync(host, "--data", file, "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, $"KrSbert:DataDirectory {file}: ");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_model_folder_without_a_model_is_one_line_naming_ModelDirectory_and_exit_code_3(string host)
    {
        string model = Directory.CreateDirectory(Path.Combine(_data, "empty-model")).FullName;

        var result = await StartAsync(host, "--model", model, "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, 3, $"KrSbert:ModelDirectory {model}: modules.json: is missing");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task A_data_folder_held_by_a_running_server_is_one_line_naming_DataDirectory_and_exit_code_6(string host)
    {
        await using var running = await TestServer.StartAsync().WaitAsync(Timeout);

        var result = await StartAsync(host, "--data", running.DataDirectory, "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, 6, $"KrSbert:DataDirectory {running.DataDirectory}: ");
        Assert.Contains("in use by another process", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task An_unknown_cluster_role_is_one_line_naming_Role_and_exit_code_2(string host)
    {
        var result = await StartAsync(host, "--KrSbert:Cluster:Role=leader", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:Cluster:Role 'leader' is not all (a single node), router, shard or builder.");
    }

    [Fact]
    public async Task A_router_without_postgres_or_replica_addresses_is_one_line_naming_both_and_exit_code_2()
    {
        var result = await StartAsync("server", "--KrSbert:Cluster:Role=router", "--KrSbert:Cluster:ShardCount=2", "--KrSbert:Cluster:ShardAddresses:0=http://shard-0:50051",
            "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:Cluster:Postgres is empty; role router needs the write log's PostgreSQL connection string.");
        Assert.Contains("KrSbert:Cluster:ShardAddresses names 1 shards; the router needs one entry per shard (2", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rebuild_without_the_new_replicas_addresses_or_with_a_bad_shard_count_is_one_line_naming_both_and_exit_code_2()
    {
        var result = await StartAsync("server", "--KrSbert:Cluster:Role=builder", "--KrSbert:Cluster:Postgres=Host=127.0.0.1", "--KrSbert:Cluster:SnapshotDirectory=/tmp/krsbert-snapshots",
            "--KrSbert:Cluster:RebuildCollection=docs", "--KrSbert:Cluster:RebuildShardCount=5000", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:Cluster:RebuildShardCount is 5000; it must be 1 to 1024, or 0 to keep the serving count.");
        Assert.Contains("KrSbert:Cluster:RebuildCollection needs role builder and KrSbert:Cluster:ShardAddresses of the new version's replicas", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_model_without_a_rebuild_or_a_negative_drain_grace_is_one_line_naming_both_and_exit_code_2()
    {
        var result = await StartAsync("server", "--KrSbert:Cluster:Role=builder", "--KrSbert:Cluster:Postgres=Host=127.0.0.1", "--KrSbert:Cluster:SnapshotDirectory=/tmp/krsbert-snapshots",
            "--KrSbert:Cluster:RebuildModel=true", "--KrSbert:Cluster:DrainedVersionGraceSeconds=-5", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:Cluster:RebuildModel is true, but it re-embeds a rebuilt version: it needs role builder and KrSbert:Cluster:RebuildCollection.");
        Assert.Contains("KrSbert:Cluster:DrainedVersionGraceSeconds is -5; it must be 0 to 2147483, or -1 to keep drained versions.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rebuild_hnsw_degree_out_of_range_is_one_line_naming_RebuildM_and_exit_code_2()
    {
        var result = await StartAsync("server", "--KrSbert:Cluster:Role=builder", "--KrSbert:Cluster:Postgres=Host=127.0.0.1", "--KrSbert:Cluster:SnapshotDirectory=/tmp/krsbert-snapshots",
            "--KrSbert:Cluster:RebuildCollection=docs", "--KrSbert:Cluster:ShardAddresses:0=http://127.0.0.1:1", "--KrSbert:Cluster:RebuildM=600", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:Cluster:RebuildM is 600; it must be 2 to 512, or 0 to keep the serving version's.");
    }

    [Fact]
    public async Task A_drain_grace_longer_than_a_delay_can_wait_is_one_line_naming_it_and_exit_code_2()
    {
        var result = await StartAsync("server", "--KrSbert:Cluster:Role=builder", "--KrSbert:Cluster:Postgres=Host=127.0.0.1", "--KrSbert:Cluster:SnapshotDirectory=/tmp/krsbert-snapshots",
            "--KrSbert:Cluster:DrainedVersionGraceSeconds=2147484", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:Cluster:DrainedVersionGraceSeconds is 2147484; it must be 0 to 2147483, or -1 to keep drained versions.");
    }

    [Fact]
    public async Task A_shard_index_outside_the_shard_count_is_one_line_naming_Shard_and_exit_code_2()
    {
        var result = await StartAsync("server", "--KrSbert:Cluster:Role=shard", "--KrSbert:Cluster:Postgres=Host=127.0.0.1", "--KrSbert:Cluster:ShardCount=2", "--KrSbert:Cluster:Shard=2",
            "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:Cluster:Shard is 2; with 2 shards it must be 0 to 1.");
    }

    [Fact]
    public async Task A_router_alias_refresh_under_10_ms_is_one_line_naming_AliasRefreshMilliseconds_and_exit_code_2()
    {
        var result = await StartAsync("server", "--KrSbert:Cluster:Role=router", "--KrSbert:Cluster:Postgres=Host=127.0.0.1", "--KrSbert:Cluster:ShardAddresses:0=http://shard-0:50051",
            "--KrSbert:Cluster:AliasRefreshMilliseconds=5", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:Cluster:AliasRefreshMilliseconds is 5; it must be at least 10.");
    }

    [Fact]
    public async Task Serve_refuses_a_mistyped_option_instead_of_ignoring_it()
    {
        var result = await StartAsync("serve", "--lisen", "127.0.0.1:1");

        AssertOneLine(result, BadSetting, "unknown argument '--lisen'");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Int8_precision_with_a_folder_lacking_model_int8_onnx_is_one_line_naming_the_file_and_exit_code_3(string host)
    {
        using var model = new Embedding.Tests.TestSupport.TinyModelCopy();

        var result = await StartAsync(host, "--model", model.Path, "--model-precision", "int8", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, 3, "model.int8.onnx: is missing");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task An_unknown_model_precision_is_one_line_naming_the_setting_and_exit_code_2(string host)
    {
        var result = await StartAsync(host, "--model-precision", "fp16", "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", "");

        AssertOneLine(result, BadSetting, "KrSbert:ModelPrecision 'fp16' is not 'fp32'");
    }

    private Task<KrSbertProcess.Result> StartAsync(string host, params string[] arguments)
    {
        string[] data = arguments.Contains("--data") ? [] : ["--data", _data];
        return host == "server"
            ? KrSbertProcess.RunProgramAsync("KrSbert.Server.dll", null, Timeout, [.. data, .. arguments])
            : KrSbertProcess.RunProgramAsync("krsbert.dll", null, Timeout, ["serve", .. data, .. arguments]);
    }

    private static TcpListener Occupy(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    private static void AssertOneLine(KrSbertProcess.Result result, int exitCode, string expected)
    {
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"standard error has {lines.Length} lines:\n{result.Error}");
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.DoesNotContain("   at ", result.Error + result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error + result.Output, StringComparison.Ordinal);
    }
}
