using Grpc.Health.V1;
using KrSbert.Cluster.Tests.WriteLog;
using Npgsql;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// A real cluster on loopback ports: shard replicas and a router, each a KrSbert server in this process
/// (<see cref="TestServer"/>, the embedded model), over a PostgreSQL database of their own.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly NpgsqlDataSource _database;

    private TestCluster(NpgsqlDataSource database, TestServer?[][] replicas, TestServer router)
    {
        (_database, Replicas, Router) = (database, replicas, router);
    }

    /// <summary>Per shard, its replicas (null once stopped).</summary>
    public TestServer?[][] Replicas { get; }

    public TestServer Router { get; }

    /// <summary>The cluster's PostgreSQL database (the write log).</summary>
    public NpgsqlDataSource Database => _database;

    /// <summary>The settings of a replica of <paramref name="shard"/>.</summary>
    public static Dictionary<string, string?> ShardSettings(string postgres, int shards, int shard) => new()
    {
        ["KrSbert:Cluster:Role"] = "shard",
        ["KrSbert:Cluster:Postgres"] = postgres,
        ["KrSbert:Cluster:ShardCount"] = $"{shards}",
        ["KrSbert:Cluster:Shard"] = $"{shard}",
        ["KrSbert:Cluster:PollMilliseconds"] = "200",
    };

    /// <summary>The settings of a router over as many shards as <paramref name="shardAddresses"/> lists (each entry a shard's replicas, comma-separated).</summary>
    public static Dictionary<string, string?> RouterSettings(string postgres, params string[] shardAddresses)
    {
        var settings = new Dictionary<string, string?>
        {
            ["KrSbert:Cluster:Role"] = "router",
            ["KrSbert:Cluster:Postgres"] = postgres,
            ["KrSbert:Cluster:ShardCount"] = $"{shardAddresses.Length}",
        };
        for (int shard = 0; shard < shardAddresses.Length; shard++)
        {
            settings[$"KrSbert:Cluster:ShardAddresses:{shard}"] = shardAddresses[shard];
        }

        return settings;
    }

    public static async Task<TestCluster> StartAsync(PostgresCluster postgres, int shards, int replicasPerShard)
    {
        NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var replicas = new TestServer?[shards][];
        for (int shard = 0; shard < shards; shard++)
        {
            replicas[shard] = new TestServer?[replicasPerShard];
            for (int r = 0; r < replicasPerShard; r++)
            {
                replicas[shard][r] = await StartReplicaAsync(ShardSettings(database.ConnectionString, shards, shard));
            }
        }

        Dictionary<string, string?> router = RouterSettings(database.ConnectionString, [.. replicas.Select(shard => string.Join(",", shard.Select(r => $"http://127.0.0.1:{r!.Port}")))]);
        router["KrSbert:Cluster:PollMilliseconds"] = "200";
        router["KrSbert:Cluster:AliasRefreshMilliseconds"] = "200";

        return new TestCluster(database, replicas, await TestServer.StartAsync(router).WaitAsync(TimeSpan.FromSeconds(90)));
    }

    /// <summary>Starts a shard replica and waits until it reports ready (caught up with its log), as a readiness probe would.</summary>
    public static async Task<TestServer> StartReplicaAsync(Dictionary<string, string?> settings)
    {
        TestServer replica = await TestServer.StartAsync(settings).WaitAsync(TimeSpan.FromSeconds(90));
        var health = new Health.HealthClient(replica.Channel);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await health.CheckAsync(new HealthCheckRequest(), cancellationToken: deadline.Token)).Status != HealthCheckResponse.Types.ServingStatus.Serving)
        {
            await Task.Delay(50, deadline.Token);
        }

        return replica;
    }

    /// <summary>Stops one replica as a crash or an eviction would take it away.</summary>
    public async Task StopReplicaAsync(int shard, int replica)
    {
        TestServer server = Replicas[shard][replica] ?? throw new InvalidOperationException($"replica {replica} of shard {shard} is already stopped.");
        Replicas[shard][replica] = null;
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(90));
    }

    public async ValueTask DisposeAsync()
    {
        await Router.DisposeAsync();
        foreach (TestServer? replica in Replicas.SelectMany(r => r))
        {
            if (replica is not null)
            {
                await replica.DisposeAsync();
            }
        }

        await _database.DisposeAsync();
    }
}
