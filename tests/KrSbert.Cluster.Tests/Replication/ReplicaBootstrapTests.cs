using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Replication;
using KrSbert.Cluster.Snapshots;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.WriteLog;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Querying;
using Npgsql;

namespace KrSbert.Cluster.Tests.Replication;

/// <summary>A builder publishes a shard snapshot; a new replica restores the newest and catches up from the log.</summary>
[Collection(PostgresTests.Name)]
public sealed class ReplicaBootstrapTests(PostgresCluster cluster) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly CollectionVersion Docs = new("docs", 1, 1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "krsbert-bootstrap-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [PostgresFact]
    public async Task A_new_replica_restores_the_newest_snapshot_then_reads_only_the_log_after_it_even_once_compacted()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        // Only a serving (or staged) version takes appends.
        await log.SetAliasAsync(Docs).WaitAsync(Timeout);
        var snapshots = new ShardSnapshots(new DirectorySnapshotStore(Path.Combine(_directory, "snapshots")), log);
        await log.AppendAsync(Docs, 0, [.. Enumerable.Range(0, 5).Select(i => Upsert($"d{i}", i))]).WaitAsync(Timeout);

        // The builder: an engine fed to sequence 5, published, after which the log moves on and is compacted.
        SnapshotRegistration published;
        await using (SearchEngine builder = await OpenAsync("builder", create: true).WaitAsync(Timeout))
        {
            var applier = new ShardApplier(builder, Docs, 0);
            await applier.CatchUpAsync(log, 100).WaitAsync(Timeout);
            published = await snapshots.PublishAsync(builder, Docs, 0).WaitAsync(Timeout);
        }

        await log.AppendAsync(Docs, 0, [Upsert("d5", 5), LogEntry.Delete("d0")]).WaitAsync(Timeout);
        Assert.Equal(5, await log.CompactAsync(Docs).WaitAsync(Timeout));

        SnapshotRegistration? restored = await snapshots.RestoreNewestAsync(Docs, 0, Path.Combine(_directory, "replica", "krsbert.db")).WaitAsync(Timeout);
        await using SearchEngine replica = await OpenAsync("replica", create: false).WaitAsync(Timeout);
        var catchingUp = new ShardApplier(replica, Docs, 0);
        long read = await catchingUp.CatchUpAsync(log, 100).WaitAsync(Timeout);

        Assert.Equal((5L, 5L), (published.Sequence, restored!.Sequence));
        Assert.Equal((2L, 7L), (read, catchingUp.Applied.Applied));
        SearchResult result = await replica.SearchAsync(Docs.StoreName, new SearchRequest { Vector = [1, 0, 0, 0], TopK = 10, Exact = true }).WaitAsync(Timeout);
        Assert.Equal(["d1", "d2", "d3", "d4", "d5"], result.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
    }

    [PostgresFact]
    public async Task A_shard_without_snapshots_restores_nothing_and_a_damaged_newest_snapshot_is_refused()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        // Only a serving (or staged) version takes appends.
        await log.SetAliasAsync(Docs).WaitAsync(Timeout);
        string storeRoot = Path.Combine(_directory, "snapshots");
        var snapshots = new ShardSnapshots(new DirectorySnapshotStore(storeRoot), log);
        string target = Path.Combine(_directory, "replica", "krsbert.db");

        Assert.Null(await snapshots.RestoreNewestAsync(Docs, 0, target).WaitAsync(Timeout));

        await log.AppendAsync(Docs, 0, [Upsert("d0", 0)]).WaitAsync(Timeout);
        SnapshotRegistration published;
        await using (SearchEngine builder = await OpenAsync("builder", create: true).WaitAsync(Timeout))
        {
            await new ShardApplier(builder, Docs, 0).CatchUpAsync(log, 100).WaitAsync(Timeout);
            published = await snapshots.PublishAsync(builder, Docs, 0).WaitAsync(Timeout);
        }

        await using (var file = new FileStream(Path.Combine(storeRoot, published.Location), FileMode.Open, FileAccess.Write))
        {
            file.Position = 100;
            file.WriteByte(0xFF);
        }

        await Assert.ThrowsAsync<SnapshotVerificationException>(() => snapshots.RestoreNewestAsync(Docs, 0, target)).WaitAsync(Timeout);
        Assert.False(File.Exists(target));
    }

    private async Task<SearchEngine> OpenAsync(string name, bool create)
    {
        SearchEngine engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = Path.Combine(_directory, name) }, embedder: null);
        if (create)
        {
            await engine.CreateCollectionAsync(new CollectionDefinition { Name = Docs.StoreName, Dimension = 4 });
        }

        return engine;
    }

    private static LogEntry Upsert(string id, int i) => LogEntry.Upsert(id, $"text {id}", null, "model", [new LogChunk(0, 4, [], [1, i + 1, 0, 0])]);
}
