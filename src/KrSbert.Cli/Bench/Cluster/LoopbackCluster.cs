namespace KrSbert.Cli.Bench.Cluster;

/// <summary>A router and <see cref="ClusterLayout.Shards"/> × <see cref="ClusterLayout.Replicas"/> shard replicas in this process, over one PostgreSQL database.</summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    private LoopbackCluster(ClusterLayout layout, string postgres, LoopbackServer router, LoopbackServer[][] replicas) => (Layout, Postgres, Router, Replicas) = (layout, postgres, router, replicas);

    public ClusterLayout Layout { get; }

    /// <summary>The connection string of the cluster's database (its write log).</summary>
    public string Postgres { get; }

    public LoopbackServer Router { get; }

    /// <summary>Per shard, its replicas.</summary>
    public LoopbackServer[][] Replicas { get; }

    /// <summary>The settings every role shares: the log, the shard count and a short polling backstop.</summary>
    public static Dictionary<string, string?> Settings(string role, string postgres, int shards, string? model) => new()
    {
        ["KrSbert:Cluster:Role"] = role,
        ["KrSbert:Cluster:Postgres"] = postgres,
        ["KrSbert:Cluster:ShardCount"] = $"{shards}",
        ["KrSbert:Cluster:PollMilliseconds"] = "1000",
        ["KrSbert:ModelDirectory"] = model,
    };

    /// <summary>Starts every replica (each ready: caught up with the log) and then the router.</summary>
    public static async Task<LoopbackCluster> StartAsync(ClusterLayout layout, string postgres, string? model, CancellationToken cancellationToken)
    {
        var replicas = new List<LoopbackServer[]>();
        var started = new List<LoopbackServer>();
        try
        {
            for (int shard = 0; shard < layout.Shards; shard++)
            {
                var ofShard = new LoopbackServer[layout.Replicas];
                for (int r = 0; r < layout.Replicas; r++)
                {
                    Dictionary<string, string?> settings = Settings("shard", postgres, layout.Shards, model);
                    settings["KrSbert:Cluster:Shard"] = $"{shard}";
                    ofShard[r] = await LoopbackServer.StartAsync(settings, cancellationToken).ConfigureAwait(false);
                    started.Add(ofShard[r]);
                    await ofShard[r].ServingAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
                }

                replicas.Add(ofShard);
            }

            Dictionary<string, string?> router = Settings("router", postgres, layout.Shards, model);
            for (int shard = 0; shard < layout.Shards; shard++)
            {
                router[$"KrSbert:Cluster:ShardAddresses:{shard}"] = string.Join(",", replicas[shard].Select(r => r.Address));
            }

            return new LoopbackCluster(layout, postgres, await LoopbackServer.StartAsync(router, cancellationToken).ConfigureAwait(false), [.. replicas]);
        }
        catch
        {
            foreach (LoopbackServer server in started)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Router.DisposeAsync().ConfigureAwait(false);
        foreach (LoopbackServer replica in Replicas.SelectMany(r => r))
        {
            await replica.DisposeAsync().ConfigureAwait(false);
        }
    }
}
