using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Rebuilding;
using KrSbert.Cluster.Replication;
using KrSbert.Cluster.Snapshots;
using KrSbert.Cluster.Tests.Aliases;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.Writing;
using KrSbert.Cluster.WriteLog;
using KrSbert.Search;
using KrSbert.Search.Querying;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using Npgsql;

namespace KrSbert.Cluster.Tests.Rebuilding;

/// <summary>
/// A rebuild of a version whose log was compacted reads each shard's snapshot, then the log after it; and a drained
/// version is dropped from PostgreSQL and the snapshot store.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class SnapshotRebuildTests(PostgresCluster cluster) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly CollectionSettings Settings = LocalVersionsTests.Recorded with { Dimension = 4, Metric = "cosine", IndexStorage = "f32" };
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "krsbert-snapshot-rebuild-" + Guid.NewGuid().ToString("N"));
    private readonly List<SearchEngine> _engines = [];
    private readonly Random _random = new(11);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (SearchEngine engine in _engines)
        {
            await engine.DisposeAsync();
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [PostgresFact]
    public async Task A_rebuild_of_a_compacted_log_reads_each_shards_snapshot_then_the_log_after_it_and_equals_a_single_node()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        var v1 = new CollectionVersion("docs", 1, 2);
        await log.SetSettingsAsync(v1, Settings).WaitAsync(Timeout);
        await log.SetAliasAsync(v1).WaitAsync(Timeout);
        var history = new List<LogEntry>();
        var writer = new ShardedLogWriter(log);
        async Task WriteAsync(params LogEntry[] entries)
        {
            history.AddRange(entries);
            await writer.AppendAsync(v1, entries).WaitAsync(Timeout);
        }

        await WriteAsync([.. Enumerable.Range(0, 40).Select(i => Upsert($"d{i:D2}"))]);
        await WriteAsync(LogEntry.Delete("d01"), LogEntry.Delete("d02"), LogEntry.Delete("d03"), Upsert("d05"));
        var snapshots = new ShardSnapshots(new DirectorySnapshotStore(Path.Combine(_directory, "snapshots")), log);
        await PublishAsync(log, snapshots, v1);
        // Rows after the snapshots, then compaction removes every row the snapshots hold.
        await WriteAsync([.. Enumerable.Range(40, 10).Select(i => Upsert($"d{i:D2}")), LogEntry.Delete("d06"), Upsert("d07")]);
        Assert.Equal(44, await log.CompactAsync(v1).WaitAsync(Timeout));

        // Without the snapshots the rows are simply gone, and the rebuild says so.
        VersionRebuild logOnly = await VersionRebuild.StageAsync(log, "docs", 3).WaitAsync(Timeout);
        await Assert.ThrowsAsync<LogCompactedException>(() => logOnly.CopyAsync(batchSize: 8)).WaitAsync(Timeout);

        VersionRebuild rebuild = await VersionRebuild.StageAsync(log, "docs", 3, new VersionRebuildOptions { Snapshots = snapshots }).WaitAsync(Timeout);
        // 37 documents the snapshots hold, then the 12 rows after them: each once.
        Assert.Equal(49, await rebuild.CopyAsync(batchSize: 8).WaitAsync(Timeout));
        await rebuild.FlipAsync(batchSize: 8).WaitAsync(Timeout);
        long rows = 0;
        var shards = new SearchEngine[3];
        for (int shard = 0; shard < 3; shard++)
        {
            rows += await log.HeadAsync(rebuild.Target, shard).WaitAsync(Timeout);
            shards[shard] = await ShardAsync(log, rebuild.Target, shard, $"v3-{shard}");
        }

        Assert.Equal(49, rows);
        SearchEngine single = await OpenAsync("single");
        await single.CreateCollectionAsync("docs", Settings).WaitAsync(Timeout);
        for (int i = 0; i < history.Count; i++)
        {
            await single.ApplySourceBatchAsync("docs", [Write(history[i])], i + 1).WaitAsync(Timeout);
        }

        List<string> ids = [.. single.Store.ScanDocuments("docs").Select(d => d.Id).Order(StringComparer.Ordinal)];
        Assert.Equal(ids, shards.SelectMany(s => s.Store.ScanDocuments(rebuild.Target.StoreName).Select(d => d.Id)).Order(StringComparer.Ordinal));
        foreach (string id in ids)
        {
            StoredDocument expected = Assert.Single(single.Store.GetDocuments("docs", [id]));
            StoredDocument actual = Assert.Single(shards[rebuild.Target.Shards.ShardOf(id)].Store.GetDocuments(rebuild.Target.StoreName, [id]));
            Assert.Equal((expected.Text, expected.Metadata["n"]), (actual.Text, actual.Metadata["n"]));
            Assert.Equal(expected.Chunks.Select(c => (c.Start, c.End, string.Join(',', c.TokenIds), string.Join(',', c.Vector))), actual.Chunks.Select(c => (c.Start, c.End, string.Join(',', c.TokenIds), string.Join(',', c.Vector))));
        }

        for (int q = 0; q < 5; q++)
        {
            var request = new SearchRequest { Vector = Vector(), TopK = 10, Exact = true };
            SearchResult alone = await single.SearchAsync("docs", request).WaitAsync(Timeout);
            List<SearchHit> merged = [];
            foreach (SearchEngine shard in shards)
            {
                merged.AddRange((await shard.SearchAsync(rebuild.Target.StoreName, request).WaitAsync(Timeout)).Hits);
            }

            Assert.Equal(alone.Hits.Select(h => h.Id), merged.OrderByDescending(h => h.Score).Take(10).Select(h => h.Id));
        }
    }

    [PostgresFact]
    public async Task A_drained_version_is_dropped_with_its_rows_snapshots_and_settings_and_a_serving_one_is_refused()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        var v1 = new CollectionVersion("docs", 1, 1);
        await log.SetSettingsAsync(v1, Settings).WaitAsync(Timeout);
        await log.SetAliasAsync(v1).WaitAsync(Timeout);
        await log.AppendAsync(v1, 0, [Upsert("a"), Upsert("b"), LogEntry.Delete("a")]).WaitAsync(Timeout);
        string store = Path.Combine(_directory, "snapshots");
        var snapshots = new ShardSnapshots(new DirectorySnapshotStore(store), log);
        await PublishAsync(log, snapshots, v1);
        SnapshotRegistration published = Assert.Single(await log.SnapshotsAsync(v1, 0).WaitAsync(Timeout));

        VersionRebuild rebuild = await VersionRebuild.StageAsync(log, "docs", 2, new VersionRebuildOptions { Snapshots = snapshots }).WaitAsync(Timeout);
        // Staged, not yet drained: the source still serves and cannot be dropped.
        await Assert.ThrowsAsync<VersionConflictException>(() => rebuild.DropSourceAsync()).WaitAsync(Timeout);
        await rebuild.FlipAsync(batchSize: 10).WaitAsync(Timeout);

        Assert.Equal(3, await rebuild.DropSourceAsync().WaitAsync(Timeout));

        Assert.Null(await log.ReadSettingsAsync(v1).WaitAsync(Timeout));
        Assert.Empty(await log.SnapshotsAsync(v1, 0).WaitAsync(Timeout));
        Assert.Empty(await log.ReadAfterAsync(v1, 0, 0, 10).WaitAsync(Timeout));
        Assert.Equal(0, await log.HeadAsync(v1, 0).WaitAsync(Timeout));
        Assert.False(File.Exists(Path.Combine(store, published.Location)));
        // The new version is untouched, and serving, it cannot be dropped.
        Assert.Equal(Settings, await log.ReadSettingsAsync(rebuild.Target).WaitAsync(Timeout));
        Assert.Equal(3, (await log.HeadAsync(rebuild.Target, 0).WaitAsync(Timeout)) + (await log.HeadAsync(rebuild.Target, 1).WaitAsync(Timeout)));
        await Assert.ThrowsAsync<VersionConflictException>(() => log.DropVersionAsync(rebuild.Target)).WaitAsync(Timeout);
    }

    /// <summary>What a builder does: each shard fed from the log in an engine of its own and published.</summary>
    private async Task PublishAsync(PostgresWriteLog log, ShardSnapshots snapshots, CollectionVersion version)
    {
        for (int shard = 0; shard < version.Shards.ShardCount; shard++)
        {
            SearchEngine engine = await ShardAsync(log, version, shard, $"build-{version.Version}-{shard}");
            await snapshots.PublishAsync(engine, version, shard).WaitAsync(Timeout);
        }
    }

    /// <summary>A replica of <paramref name="shard"/> of <paramref name="version"/>, caught up with the log.</summary>
    private async Task<SearchEngine> ShardAsync(PostgresWriteLog log, CollectionVersion version, int shard, string name)
    {
        SearchEngine engine = await OpenAsync(name);
        await LocalVersions.EnsureAsync(engine, log, version).WaitAsync(Timeout);
        await new ShardApplier(engine, version, shard).CatchUpAsync(log, 100).WaitAsync(Timeout);
        return engine;
    }

    private async Task<SearchEngine> OpenAsync(string name)
    {
        SearchEngine engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = Path.Combine(_directory, name) }, embedder: null).WaitAsync(Timeout);
        _engines.Add(engine);
        return engine;
    }

    private float[] Vector() => [.. Enumerable.Range(0, 4).Select(_ => (float)(_random.NextDouble() * 2) - 1)];

    /// <summary>An upsert as a router logs it: a text, metadata, and one chunk with token ids and a vector (new ones each call).</summary>
    private LogEntry Upsert(string id)
    {
        int n = _random.Next(1000);
        return LogEntry.Upsert(id, $"text of {id} #{n}", new Dictionary<string, string> { ["n"] = $"{n}" }, "model", [new LogChunk(0, 7, [101, n, 102], Vector())]);
    }

    private static DocumentWrite Write(LogEntry entry) => entry.Operation == LogOperation.Delete
        ? new DocumentWrite.Delete(entry.DocumentId)
        : new DocumentWrite.Upsert(entry.DocumentId, entry.Text!, entry.Metadata!, [.. entry.Chunks.Select(c => new StoredChunk(c.Start, c.End, c.TokenIds, c.Vector))]);
}
