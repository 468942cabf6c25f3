using Microsoft.Extensions.Options;

namespace KrSbert.Server.Options;

/// <summary>Checks <c>KrSbert:Cluster</c> at start-up with messages that say what to fix.</summary>
internal sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    /// <summary>The longest grace <see cref="Task.Delay(TimeSpan)"/> accepts, in whole seconds (int.MaxValue milliseconds).</summary>
    private const int MaxGraceSeconds = int.MaxValue / 1000;

    public static bool TryParseRole(string? text, out ClusterRole role)
    {
        (bool known, role) = text?.ToLowerInvariant() switch
        {
            "all" or "" or null => (true, ClusterRole.All),
            "router" => (true, ClusterRole.Router),
            "shard" => (true, ClusterRole.Shard),
            "builder" => (true, ClusterRole.Builder),
            _ => (false, ClusterRole.All),
        };
        return known;
    }

    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        if (!TryParseRole(options.Role, out ClusterRole role))
        {
            return ValidateOptionsResult.Fail($"KrSbert:Cluster:Role '{options.Role}' is not all (a single node), router, shard or builder.");
        }

        if (role == ClusterRole.All)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Postgres))
        {
            errors.Add($"KrSbert:Cluster:Postgres is empty; role {options.Role} needs the write log's PostgreSQL connection string.");
        }
        else
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(options.Postgres);
            }
            catch (ArgumentException e)
            {
                errors.Add($"KrSbert:Cluster:Postgres is not a PostgreSQL connection string: {e.Message}");
            }
        }

        if (options.ShardCount < 1 || options.ShardCount > KrSbert.Cluster.Sharding.ShardMap.MaxShards)
        {
            errors.Add($"KrSbert:Cluster:ShardCount is {options.ShardCount}; it must be 1 to {KrSbert.Cluster.Sharding.ShardMap.MaxShards}.");
        }
        else if (role == ClusterRole.Shard && (options.Shard < 0 || options.Shard >= options.ShardCount))
        {
            errors.Add($"KrSbert:Cluster:Shard is {options.Shard}; with {options.ShardCount} shards it must be 0 to {options.ShardCount - 1}.");
        }

        if (role == ClusterRole.Router)
        {
            // More entries than shards are for a rebuilt version with more shards: its replicas are listed before the alias flips.
            if (options.ShardAddresses.Count < options.ShardCount)
            {
                errors.Add($"KrSbert:Cluster:ShardAddresses names {options.ShardAddresses.Count} shards; the router needs one entry per shard ({options.ShardCount}: KrSbert:Cluster:ShardAddresses:0, :1, ...).");
            }

            for (int shard = 0; shard < options.ShardAddresses.Count; shard++)
            {
                foreach (string address in options.ShardAddresses[shard].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).DefaultIfEmpty(""))
                {
                    if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.Port <= 0)
                    {
                        errors.Add($"KrSbert:Cluster:ShardAddresses:{shard} '{address}' is not http://host:port (e.g. http://krsbert-shard-{shard}:50051).");
                    }
                }
            }
        }

        if (options.RebuildCollection is { Length: > 0 })
        {
            if (options.RebuildShardCount < 0 || options.RebuildShardCount > KrSbert.Cluster.Sharding.ShardMap.MaxShards)
            {
                errors.Add($"KrSbert:Cluster:RebuildShardCount is {options.RebuildShardCount}; it must be 1 to {KrSbert.Cluster.Sharding.ShardMap.MaxShards}, or 0 to keep the serving count.");
            }

            if (role != ClusterRole.Builder || options.ShardAddresses.Count == 0)
            {
                errors.Add("KrSbert:Cluster:RebuildCollection needs role builder and KrSbert:Cluster:ShardAddresses of the new version's replicas (one entry per shard), which must serve it before the alias flips.");
            }
        }

        if (options.RebuildModel && (role != ClusterRole.Builder || options.RebuildCollection is not { Length: > 0 }))
        {
            errors.Add("KrSbert:Cluster:RebuildModel is true, but it re-embeds a rebuilt version: it needs role builder and KrSbert:Cluster:RebuildCollection.");
        }

        int maxExpansion = KrSbert.Index.HnswOptions.MaxExpansion;
        foreach ((string setting, int value, int minimum, int maximum) in (ReadOnlySpan<(string, int, int, int)>)[("RebuildM", options.RebuildM, 2, 512), ("RebuildEfConstruction", options.RebuildEfConstruction, 1, maxExpansion), ("RebuildEfSearch", options.RebuildEfSearch, 1, maxExpansion)])
        {
            if (value != 0 && (value < minimum || value > maximum))
            {
                errors.Add($"KrSbert:Cluster:{setting} is {value}; it must be {minimum} to {maximum}, or 0 to keep the serving version's.");
            }
            else if (value != 0 && options.RebuildCollection is not { Length: > 0 })
            {
                errors.Add($"KrSbert:Cluster:{setting} is set, but it applies to a rebuilt version: it needs role builder and KrSbert:Cluster:RebuildCollection.");
            }
        }

        // The grace is awaited after the flip: a value Task.Delay refuses would fail the builder only then.
        if (options.DrainedVersionGraceSeconds < -1 || options.DrainedVersionGraceSeconds > MaxGraceSeconds)
        {
            errors.Add($"KrSbert:Cluster:DrainedVersionGraceSeconds is {options.DrainedVersionGraceSeconds}; it must be 0 to {MaxGraceSeconds}, or -1 to keep drained versions.");
        }

        if (options.PollMilliseconds < 10)
        {
            errors.Add($"KrSbert:Cluster:PollMilliseconds is {options.PollMilliseconds}; it must be at least 10.");
        }

        if (options.AliasRefreshMilliseconds < 10)
        {
            errors.Add($"KrSbert:Cluster:AliasRefreshMilliseconds is {options.AliasRefreshMilliseconds}; it must be at least 10.");
        }

        if (role == ClusterRole.Builder && string.IsNullOrWhiteSpace(options.SnapshotDirectory))
        {
            errors.Add("KrSbert:Cluster:SnapshotDirectory is empty; the builder publishes its snapshots there.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
