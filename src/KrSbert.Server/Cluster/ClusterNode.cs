using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Replication;
using KrSbert.Cluster.Snapshots;
using KrSbert.Cluster.WriteLog;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Server.Hosting;
using KrSbert.Server.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace KrSbert.Server.Cluster;

/// <summary>
/// This process's part in a cluster (<see cref="ClusterOptions.Role"/>). A shard replica restores the newest
/// verified snapshot before the engine opens, then keeps every serving collection version's shard at the log's
/// head and reports ready (the overall health status) only once it has caught up. A router keeps an empty local
/// collection per version, used only to embed. A builder publishes a snapshot of every shard, then stops.
/// Role <c>all</c> does nothing here.
/// </summary>
internal sealed partial class ClusterNode(
    IOptions<ClusterOptions> cluster,
    IOptions<ServerOptions> server,
    EngineHost host,
    HealthServiceImpl health,
    ShardReplicaDirectory replicas,
    IHostApplicationLifetime lifetime,
    ILogger<ClusterNode> logger) : IHostedService, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ShardApplier> _appliers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Tailing> _tailing = new(StringComparer.Ordinal);
    private readonly List<Task> _tailers = [];
    // Local versions that neither serve nor are staged, and since when this replica has seen them so.
    private readonly Dictionary<string, DateTime> _retired = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _opening = new(1, 1);
    private CancellationTokenSource? _linked;
    private NpgsqlDataSource? _dataSource;
    private PostgresWriteLog? _log;
    private Task _running = Task.CompletedTask;
    private volatile bool _caughtUp;
    private AliasCache? _aliases;

    public ClusterRole Role { get; } = cluster.Value.ParsedRole;

    /// <summary>
    /// The router's copy of the alias table, refreshed every <see cref="ClusterOptions.AliasRefreshMilliseconds"/>:
    /// reads resolve through it and keep working while PostgreSQL is down.
    /// </summary>
    public AliasCache Aliases
    {
        get
        {
            if (Volatile.Read(ref _aliases) is { } made)
            {
                return made;
            }

            // One copy for every caller: the first to ask makes it (the background loop or a first request).
            Interlocked.CompareExchange(ref _aliases, new AliasCache(async cancellationToken =>
                await (await OpenLogAsync(cancellationToken).ConfigureAwait(false)).ReadAliasesAsync(cancellationToken).ConfigureAwait(false)), null);
            return _aliases;
        }
    }


    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Role == ClusterRole.All)
        {
            return;
        }

        _dataSource = NpgsqlDataSource.Create(cluster.Value.Postgres!);
        if (Role == ClusterRole.Shard && cluster.Value.SnapshotDirectory is { Length: > 0 } snapshots)
        {
            // Before the engine host opens the store: the snapshot becomes the store.
            await RestoreSnapshotAsync(snapshots, cancellationToken).ConfigureAwait(false);
        }

        // The application stopping comes before any hosted service stops: the engine host closes the engine after it.
        _linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, lifetime.ApplicationStopping);
        CancellationToken stopping = _linked.Token;
        _running = Task.Run(() => RunAsync(stopping), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] running;
        lock (_tailers)
        {
            running = [_running, .. _tailers];
        }

        await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Tailing tailing in _tailing.Values)
        {
            tailing.Stop.Dispose();
        }

        _linked?.Dispose();
        _stopping.Dispose();
        _opening.Dispose();
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A shard replica's check before it answers a query: it has caught up with its log, and it has applied the
    /// write <paramref name="token"/> names (waiting up to <paramref name="deadline"/>).
    /// </summary>
    public async Task BeforeShardQueryAsync(string collection, string? token, DateTime deadline, CancellationToken cancellationToken)
    {
        if (!_caughtUp)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "This shard replica is catching up with its log; ask another replica."));
        }

        if (string.IsNullOrEmpty(token))
        {
            await AwaitNewVersionAsync(collection, deadline, cancellationToken).ConfigureAwait(false);
            return;
        }

        ConsistencyToken parsed = ConsistencyToken.Parse(token);
        TimeSpan wait = deadline == DateTime.MaxValue ? TimeSpan.FromSeconds(30) : deadline - DateTime.UtcNow;
        DateTime until = DateTime.UtcNow + wait;
        try
        {
            // A version made to serve a moment ago is followed from the next alias read (within the poll interval).
            ShardApplier? applier;
            DateTime followedBy = DateTime.UtcNow + NewVersionWait;
            while ((applier = _appliers.GetValueOrDefault(collection)) is null)
            {
                if (DateTime.UtcNow >= until)
                {
                    throw new ConsistencyDeadlineException(cluster.Value.Shard, parsed.SequenceFor(cluster.Value.Shard), 0, wait);
                }

                // A version this replica dropped (deleted, or drained after a rebuild) never comes back: the engine's NOT_FOUND, not the deadline.
                if (DateTime.UtcNow >= followedBy && !host.Engine.ListCollections().Any(c => c.Name == collection))
                {
                    return;
                }

                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            TimeSpan left = until - DateTime.UtcNow;
            await applier.Applied.WaitForAsync(parsed, left > TimeSpan.Zero ? left : TimeSpan.Zero, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
        catch (ConsistencyDeadlineException e)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, e.Message));
        }
    }

    private async Task RestoreSnapshotAsync(string snapshots, CancellationToken cancellationToken)
    {
        string database = Path.Combine(server.Value.DataDirectory, "krsbert.db");
        if (File.Exists(database))
        {
            // A restarted replica goes on from what it applied.
            return;
        }

        try
        {
            PostgresWriteLog log = await OpenLogAsync(cancellationToken).ConfigureAwait(false);
            AliasTable aliases = await log.ReadAliasesAsync(cancellationToken).ConfigureAwait(false);
            // A store file holds one snapshot: the first serving version starts from it, any other from the log.
            if (aliases.Collections.FirstOrDefault() is { } first)
            {
                CollectionVersion version = aliases.Resolve(first);
                long started = Stopwatch.GetTimestamp();
                Directory.CreateDirectory(server.Value.DataDirectory);
                SnapshotRegistration? restored = await new ShardSnapshots(new DirectorySnapshotStore(snapshots), log)
                    .RestoreNewestAsync(version, cluster.Value.Shard, database, cancellationToken).ConfigureAwait(false);
                if (restored is not null)
                {
                    Server.Log.SnapshotRestored(logger, version.Collection, version.Version, cluster.Value.Shard, restored.Sequence, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        }
        catch (Exception e) when (e is NpgsqlException or SnapshotVerificationException)
        {
            // Starting empty and reading the whole log is slower but right.
            Server.Log.SnapshotNotRestored(logger, cluster.Value.Shard, e.Message);
        }
    }

    /// <summary>The write log, opened (its tables created when missing) by the first caller; a router's first request may be that caller.</summary>
    /// <exception cref="NpgsqlException">PostgreSQL cannot be reached.</exception>
    public async Task<PostgresWriteLog> OpenLogAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _log) is { } open)
        {
            return open;
        }

        // One opener at a time: concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalog.
        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _log) is { } opened)
            {
                return opened;
            }

            PostgresWriteLog log = await PostgresWriteLog.OpenAsync(_dataSource!, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _log, log);
            return log;
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>How long a version new to this replica may take to be followed: two alias reads and some slack.</summary>
    private TimeSpan NewVersionWait => TimeSpan.FromMilliseconds((2 * cluster.Value.PollMilliseconds) + 500);

    /// <summary>
    /// A version this replica does not follow yet, asked without a token: it may have been created through a router a
    /// moment ago, before this replica's next alias read (every <see cref="ClusterOptions.PollMilliseconds"/>), so the
    /// query waits up to two reads (and within its deadline) for it instead of answering NOT_FOUND for a collection
    /// that exists. A name that still does not appear gets the engine's NOT_FOUND.
    /// </summary>
    private async Task AwaitNewVersionAsync(string collection, DateTime deadline, CancellationToken cancellationToken)
    {
        if (_appliers.ContainsKey(collection) || !CollectionVersion.TryParseStoreName(collection, out _, out _))
        {
            return;
        }

        DateTime until = DateTime.UtcNow + NewVersionWait;
        if (deadline < until)
        {
            until = deadline;
        }

        while (!_appliers.ContainsKey(collection) && DateTime.UtcNow < until)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            // The engine host starts after this service: wait for every hosted service to have started, so its
            // opening is under way (Ready is its task) and its NOT_SERVING at start cannot land after our SERVING.
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stopping).ConfigureAwait(false);
            }

            await host.Ready.WaitAsync(stopping).ConfigureAwait(false);
            if (host.OpenFailure is not null || lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return;
            }

            // A router's loop is what keeps its alias copy fresh; a shard's follows new versions.
            TimeSpan poll = TimeSpan.FromMilliseconds(Role == ClusterRole.Router ? cluster.Value.AliasRefreshMilliseconds : cluster.Value.PollMilliseconds);
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    PostgresWriteLog log = await OpenLogAsync(stopping).ConfigureAwait(false);
                    AliasTable aliases = Role == ClusterRole.Router
                        ? await Aliases.RefreshAsync(stopping).ConfigureAwait(false)
                        : await log.ReadAliasesAsync(stopping).ConfigureAwait(false);
                    switch (Role)
                    {
                        case ClusterRole.Router:
                            await EnsureLocalAsync(host.Engine, log, aliases.Collections.Select(aliases.Resolve), stopping).ConfigureAwait(false);
                            break;
                        case ClusterRole.Shard:
                            await FollowAsync(log, aliases, stopping).ConfigureAwait(false);
                            break;
                        case ClusterRole.Builder when cluster.Value.RebuildCollection is { Length: > 0 } rebuilt:
                            await RebuildAsync(log, rebuilt, stopping).ConfigureAwait(false);
                            lifetime.StopApplication();
                            return;
                        case ClusterRole.Builder:
                            await BuildAsync(log, aliases, stopping).ConfigureAwait(false);
                            lifetime.StopApplication();
                            return;
                    }
                }
                catch (NpgsqlException e)
                {
                    Server.Log.ClusterLogUnreachable(logger, (long)poll.TotalMilliseconds, e.Message);
                }

                await Task.Delay(poll, stopping).ConfigureAwait(false);
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Stopping: the engine may already be closed under the loop.
        }
        catch (Exception e)
        {
            Server.Log.ClusterFailed(logger, Role.ToString(), e);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    /// <summary>An empty local collection for each of <paramref name="versions"/> the engine lacks, created with the settings the version was created with.</summary>
    private static async Task EnsureLocalAsync(SearchEngine engine, PostgresWriteLog log, IEnumerable<CollectionVersion> versions, CancellationToken cancellationToken)
    {
        foreach (CollectionVersion version in versions)
        {
            await LocalVersions.EnsureAsync(engine, log, version, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Catches every new serving or staged version up with its log, then tails it; the first pass makes the replica
    /// ready. Following a staged version (a rebuild) before its alias flips is what lets it answer the moment it does.
    /// </summary>
    private async Task FollowAsync(PostgresWriteLog log, AliasTable aliases, CancellationToken stopping)
    {
        SearchEngine engine = host.Engine;
        IReadOnlyList<CollectionVersion> staged = await log.StagedVersionsAsync(stopping).ConfigureAwait(false);
        // A version split into fewer shards than this replica's index has no shard here.
        List<CollectionVersion> followed = [.. aliases.Collections.Select(aliases.Resolve).Concat(staged).Where(v => cluster.Value.Shard < v.Shards.ShardCount)];
        await EnsureLocalAsync(engine, log, followed, stopping).ConfigureAwait(false);
        foreach (CollectionVersion version in followed)
        {
            if (_appliers.ContainsKey(version.StoreName))
            {
                continue;
            }

            var applier = new ShardApplier(engine, version, cluster.Value.Shard);
            long started = Stopwatch.GetTimestamp();
            long applied = await applier.CatchUpAsync(log, 500, stopping).ConfigureAwait(false);
            Server.Log.ShardCaughtUp(logger, version.Collection, version.Version, applier.Shard, applied, applier.Applied.Applied, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _appliers[version.StoreName] = applier;
            var tailer = new ShardTailer(log, version, applier, logger: logger) { PollInterval = TimeSpan.FromMilliseconds(cluster.Value.PollMilliseconds) };
            // Its own cancellation, so a deleted collection's tailer stops alone.
            var tailing = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            Task running = Task.Run(() => TailAsync(tailer, tailing.Token), CancellationToken.None);
            _tailing[version.StoreName] = new Tailing(tailing, running);
            lock (_tailers)
            {
                // Dropped versions' tailers have finished: keep only the running ones.
                _tailers.RemoveAll(t => t.IsCompleted);
                _tailers.Add(running);
            }
        }

        await DropDeletedAsync(log, aliases, staged, stopping).ConfigureAwait(false);
        await DropRetiredAsync(host.Engine, aliases, followed, stopping).ConfigureAwait(false);
        if (!_caughtUp)
        {
            _caughtUp = true;
            health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
        }
    }

    /// <summary>Tails until stopping; a tailer that fails (the log compacted past this replica) stops the replica, which must not serve a shard it no longer follows.</summary>
    private async Task TailAsync(ShardTailer tailer, CancellationToken stopping)
    {
        try
        {
            await tailer.RunAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Server.Log.ClusterFailed(logger, Role.ToString(), e);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    /// <summary>Builds each shard of every serving version from the log in an engine of its own and publishes its snapshot.</summary>
    private async Task BuildAsync(PostgresWriteLog log, AliasTable aliases, CancellationToken stopping)
    {
        foreach (string collection in aliases.Collections)
        {
            await PublishSnapshotsAsync(log, aliases.Resolve(collection), stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Builds each shard of <paramref name="version"/> from the log in an engine of its own and publishes its snapshot.</summary>
    private async Task PublishSnapshotsAsync(PostgresWriteLog log, CollectionVersion version, CancellationToken stopping)
    {
        var snapshots = new ShardSnapshots(new DirectorySnapshotStore(cluster.Value.SnapshotDirectory!), log);
        for (int shard = 0; shard < version.Shards.ShardCount; shard++)
        {
            string folder = Path.Combine(server.Value.DataDirectory, "build", $"{version.StoreName}-{shard}");
            // No index snapshot every so many changes while the build catches up (each one serialises the whole
            // graph: ten of them for 100k rows), but one at the end, inside the published store: a replica then opens
            // the index from it instead of replaying the changes after the last periodic one into the graph.
            await using SearchEngine engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = folder, SnapshotEveryChanges = int.MaxValue }, host.Embedder, cancellationToken: stopping).ConfigureAwait(false);
            await LocalVersions.EnsureAsync(engine, log, version, stopping).ConfigureAwait(false);
            var applier = new ShardApplier(engine, version, shard);
            await applier.CatchUpAsync(log, 500, stopping).ConfigureAwait(false);
            await engine.SnapshotAllAsync(stopping).ConfigureAwait(false);
            SnapshotRegistration published = await snapshots.PublishAsync(engine, version, shard, stopping).ConfigureAwait(false);
            Server.Log.SnapshotPublished(logger, version.Collection, version.Version, shard, published.Sequence);
        }
    }
}
