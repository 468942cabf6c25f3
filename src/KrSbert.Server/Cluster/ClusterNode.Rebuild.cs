using Grpc.Core;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Querying;
using KrSbert.Cluster.Rebuilding;
using KrSbert.Cluster.Snapshots;
using KrSbert.Cluster.WriteLog;
using KrSbert.Protos.V1;

namespace KrSbert.Server.Cluster;

internal sealed partial class ClusterNode
{
    private const int RebuildBatch = 500;

    /// <summary>
    /// The builder's rebuild: stages the next version of <paramref name="collection"/>, copies the serving version's
    /// log (from its snapshots where compacted) into it re-sharded, re-embedded with this builder's model when
    /// <see cref="Options.ClusterOptions.RebuildModel"/> asks, publishes its snapshots, waits until every replica listed
    /// for each of its shards answers for it with everything copied, then flips the alias, drains the old version and,
    /// after the grace, drops it. A failure before the flip drops the staged version, then stops the builder with the
    /// failure.
    /// </summary>
    private async Task RebuildAsync(PostgresWriteLog log, string collection, CancellationToken stopping)
    {
        int shardCount = cluster.Value.RebuildShardCount > 0
            ? cluster.Value.RebuildShardCount
            : (await log.ReadAliasesAsync(stopping).ConfigureAwait(false)).Resolve(collection).Shards.ShardCount;
        var snapshots = new ShardSnapshots(new DirectorySnapshotStore(cluster.Value.SnapshotDirectory!), log);
        var options = new VersionRebuildOptions
        {
            Snapshots = snapshots,
            ReembedWith = cluster.Value.RebuildModel ? host.Engine : null,
            M = cluster.Value.RebuildM > 0 ? cluster.Value.RebuildM : null,
            EfConstruction = cluster.Value.RebuildEfConstruction > 0 ? cluster.Value.RebuildEfConstruction : null,
            EfSearch = cluster.Value.RebuildEfSearch > 0 ? cluster.Value.RebuildEfSearch : null,
        };
        VersionRebuild rebuild = await VersionRebuild.StageAsync(log, collection, shardCount, options, stopping).ConfigureAwait(false);
        try
        {
            await CopyAndFlipAsync(log, rebuild, stopping).ConfigureAwait(false);
        }
        catch (Exception) when (!rebuild.Flipped)
        {
            // Left staged, the target would be followed, tailed and stored by every replica for good.
            await AbandonAsync(rebuild).ConfigureAwait(false);
            throw;
        }

        if (cluster.Value.DrainedVersionGraceSeconds >= 0)
        {
            // Reads routed to the old version just before the flip finish within the grace; then nothing needs it.
            await Task.Delay(TimeSpan.FromSeconds(cluster.Value.DrainedVersionGraceSeconds), stopping).ConfigureAwait(false);
            long rows = await rebuild.DropSourceAsync(stopping).ConfigureAwait(false);
            Server.Log.DrainedVersionDropped(logger, collection, rebuild.Source.Version, rows);
        }
    }

    /// <summary>Copies the source into the staged target, publishes its snapshots, waits until its replicas serve it, then flips the alias and drains.</summary>
    private async Task CopyAndFlipAsync(PostgresWriteLog log, VersionRebuild rebuild, CancellationToken stopping)
    {
        string collection = rebuild.Target.Collection;
        int shardCount = rebuild.Target.Shards.ShardCount;
        CollectionVersion target = rebuild.Target;
        long copied = await rebuild.CopyAsync(RebuildBatch, stopping).ConfigureAwait(false);
        Server.Log.RebuildCopied(logger, collection, target.Version, shardCount, copied, rebuild.Source.Version);
        await PublishSnapshotsAsync(log, target, stopping).ConfigureAwait(false);

        using (var ready = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            ready.CancelAfter(TimeSpan.FromSeconds(cluster.Value.RebuildReadySeconds));
            try
            {
                while (await NotServingAsync(target, rebuild, ready.Token).ConfigureAwait(false) is { } reason)
                {
                    Server.Log.RebuildWaiting(logger, collection, target.Version, reason);
                    await Task.Delay(TimeSpan.FromMilliseconds(cluster.Value.PollMilliseconds), ready.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                throw new InvalidOperationException($"the replicas of version {target.Version} of '{collection}' did not all serve it within {cluster.Value.RebuildReadySeconds} s (KrSbert:Cluster:RebuildReadySeconds); the alias still names version {rebuild.Source.Version}. Start them (KrSbert:Cluster:Shard 0 to {target.Shards.ShardCount - 1}) and run the builder again.");
            }
        }

        await rebuild.FlipAsync(RebuildBatch, stopping).ConfigureAwait(false);
        Server.Log.RebuildFlipped(logger, collection, rebuild.Source.Version, target.Version);
    }

    /// <summary>
    /// Drops a failed rebuild's staged target. Not bound to the builder's stopping token: a builder stopped mid-copy
    /// must not leave its target staged either, so the removal gets a bounded time of its own. A removal that fails
    /// is logged; the rebuild's own failure is what the builder reports.
    /// </summary>
    private async Task AbandonAsync(VersionRebuild rebuild)
    {
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            long rows = await rebuild.AbandonAsync(bounded.Token).ConfigureAwait(false);
            Server.Log.RebuildAbandoned(logger, rebuild.Target.Collection, rebuild.Target.Version, rows);
        }
        catch (Exception e)
        {
            Server.Log.RebuildNotAbandoned(logger, rebuild.Target.Collection, rebuild.Target.Version, e.Message);
        }
    }

    /// <summary>Why <paramref name="target"/> cannot serve yet (a shard with no replica listed, or one not caught up), or null when every replica answers for it.</summary>
    private async Task<string?> NotServingAsync(CollectionVersion target, VersionRebuild rebuild, CancellationToken cancellationToken)
    {
        var headers = new Metadata();
        if (server.Value.ApiKey is { Length: > 0 } key)
        {
            headers.Add("x-api-key", key);
        }

        for (int shard = 0; shard < target.Shards.ShardCount; shard++)
        {
            IReadOnlyList<IShardReplica<ShardQuery>> listed = await replicas.ReplicasAsync(shard, cancellationToken).ConfigureAwait(false);
            if (listed.Count == 0)
            {
                return $"shard {shard} has no replica listed in KrSbert:Cluster:ShardAddresses";
            }

            foreach (IShardReplica<ShardQuery> replica in listed)
            {
                // The copy's token: a replica answers only once it has applied every row copied to its shard.
                // Lexical: the replica embeds nothing, so one running another model than a re-embedded version's answers too.
                var probe = new QueryRequest { Collection = target.StoreName, Text = "ready", Mode = "lexical", TopK = 1, ConsistencyToken = rebuild.Copied.Encode() };
                try
                {
                    await replica.QueryAsync(new ShardQuery(probe, DateTime.UtcNow.AddSeconds(5), headers), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ReplicaUnavailableException or RpcException)
                {
                    return $"replica {replica.Address} of shard {shard}: {e.Message}";
                }
            }
        }

        return null;
    }
}
