using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Rebuilding;
using KrSbert.Cluster.Snapshots;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.Writing;
using KrSbert.Cluster.WriteLog;
using KrSbert.Cluster.Tests.Aliases;
using KrSbert.Storage.Collections;
using Npgsql;

namespace KrSbert.Cluster.Tests.Rebuilding;

[Collection(PostgresTests.Name)]
public sealed class VersionRebuildTests(PostgresCluster cluster)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly CollectionVersion V1 = new("docs", 1, 2);

    [PostgresFact]
    public async Task A_rebuild_with_new_hnsw_parameters_records_them_for_the_new_version_and_keeps_every_other_setting()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        await log.SetAliasAsync(V1).WaitAsync(Timeout);
        CollectionSettings settings = LocalVersionsTests.Recorded;
        await log.SetSettingsAsync(V1, settings).WaitAsync(Timeout);

        VersionRebuild rebuild = await VersionRebuild.StageAsync(log, "docs", 2, new VersionRebuildOptions { M = 8, EfConstruction = 64 }).WaitAsync(Timeout);

        Assert.Equal(settings with { M = 8, EfConstruction = 64 }, await log.ReadSettingsAsync(rebuild.Target).WaitAsync(Timeout));
        Assert.Equal(settings, await log.ReadSettingsAsync(V1).WaitAsync(Timeout));
    }

    [PostgresFact]
    public async Task A_rebuild_with_an_hnsw_parameter_out_of_range_is_refused_naming_it_and_stages_nothing()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        await log.SetAliasAsync(V1).WaitAsync(Timeout);
        await log.SetSettingsAsync(V1, LocalVersionsTests.Recorded).WaitAsync(Timeout);

        ArgumentOutOfRangeException refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => VersionRebuild.StageAsync(log, "docs", 2, new VersionRebuildOptions { M = 1 })).WaitAsync(Timeout);

        Assert.Equal("M", refused.ParamName);
        Assert.Empty(await log.StagedVersionsAsync().WaitAsync(Timeout));
    }

    [PostgresFact]
    public async Task A_rebuild_reshards_every_row_into_the_new_count_in_each_documents_order_and_the_flip_drains_later_writes()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        await log.SetAliasAsync(V1).WaitAsync(Timeout);
        CollectionSettings settings = LocalVersionsTests.Recorded with { Bm25K1 = 1.5 };
        await log.SetSettingsAsync(V1, settings).WaitAsync(Timeout);
        var writer = new ShardedLogWriter(log);
        await writer.AppendAsync(V1, [.. Enumerable.Range(0, 30).Select(i => Upsert($"doc-{i}", "first"))]).WaitAsync(Timeout);
        await writer.AppendAsync(V1, [LogEntry.Delete("doc-3"), Upsert("doc-4", "second"), LogEntry.Delete("doc-5")]).WaitAsync(Timeout);
        await writer.AppendAsync(V1, [Upsert("doc-3", "again")]).WaitAsync(Timeout);

        VersionRebuild rebuild = await VersionRebuild.StageAsync(log, "docs", 3).WaitAsync(Timeout);
        Assert.Equal(("docs", 2L, 3), Key(rebuild.Target));
        // The new version is built like the serving one: replicas following it create their collection alike.
        Assert.Equal(settings, await log.ReadSettingsAsync(rebuild.Target).WaitAsync(Timeout));
        Assert.Equal([Key(rebuild.Target)], (await log.StagedVersionsAsync().WaitAsync(Timeout)).Select(Key));
        await Assert.ThrowsAsync<VersionConflictException>(() => log.StageVersionAsync(rebuild.Target)).WaitAsync(Timeout);

        Assert.Equal(34, await rebuild.CopyAsync(batchSize: 4).WaitAsync(Timeout));
        Assert.Equal(0, await rebuild.CopyAsync(batchSize: 4).WaitAsync(Timeout));
        // Still v1 serves: the copy alone changes nothing for readers and writers.
        Assert.Equal(Key(V1), Key((await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs")));

        // A write to v1 after the copy, as a router that resolved the alias before the flip makes it: the drain carries it over.
        await writer.AppendAsync(V1, [Upsert("doc-7", "late"), LogEntry.Delete("doc-8")]).WaitAsync(Timeout);
        await rebuild.FlipAsync(batchSize: 4).WaitAsync(Timeout);

        Assert.Equal(Key(rebuild.Target), Key((await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs")));
        Assert.Empty(await log.StagedVersionsAsync().WaitAsync(Timeout));
        Dictionary<string, List<(LogOperation, string?)>> before = await HistoryAsync(log, V1);
        Dictionary<string, List<(LogOperation, string?)>> after = await HistoryAsync(log, rebuild.Target);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, pair => Assert.Equal(pair.Value, after[pair.Key]));
        for (int shard = 0; shard < 3; shard++)
        {
            long head = await log.HeadAsync(rebuild.Target, shard).WaitAsync(Timeout);
            Assert.Equal(head, rebuild.Copied.SequenceFor(shard));
            Assert.True(head > 0, $"shard {shard} of the new version got no rows");
        }

        // A second flip from v1 (a rebuild that lost the race) changes nothing and says so.
        await Assert.ThrowsAsync<VersionConflictException>(() => log.FlipAliasAsync(V1, new CollectionVersion("docs", 3, 1))).WaitAsync(Timeout);
        Assert.Equal(Key(rebuild.Target), Key((await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs")));
    }

    [PostgresFact]
    public async Task Abandoning_a_staged_rebuild_removes_everything_of_its_version_and_leaves_the_serving_version_as_it_was()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        await log.SetAliasAsync(V1).WaitAsync(Timeout);
        await log.SetSettingsAsync(V1, LocalVersionsTests.Recorded).WaitAsync(Timeout);
        await new ShardedLogWriter(log).AppendAsync(V1, [.. Enumerable.Range(0, 12).Select(i => Upsert($"doc-{i}", "first"))]).WaitAsync(Timeout);
        Dictionary<string, long> servingBefore = await VersionRows.CountAsync(database, V1).WaitAsync(Timeout);

        string directory = Path.Combine(Path.GetTempPath(), "krsbert-abandon-" + Guid.NewGuid().ToString("N"));
        try
        {
            var store = new DirectorySnapshotStore(directory);
            VersionRebuild rebuild = await VersionRebuild.StageAsync(log, "docs", 3, new VersionRebuildOptions { Snapshots = new ShardSnapshots(store, log) }).WaitAsync(Timeout);
            Assert.Equal(12, await rebuild.CopyAsync(batchSize: 5).WaitAsync(Timeout));
            // A snapshot of the target published before the failure, as the builder does before it waits for replicas.
            using var content = new MemoryStream([1, 2, 3]);
            SnapshotRegistration published = await store.PutAsync(rebuild.Target, 0, rebuild.Copied.SequenceFor(0), content).WaitAsync(Timeout);
            await log.RegisterSnapshotAsync(rebuild.Target, published).WaitAsync(Timeout);
            Assert.Equal(["krs_log", "krs_shard_head", "krs_snapshot", "krs_version", "krs_version_settings"], (await VersionRows.CountAsync(database, rebuild.Target).WaitAsync(Timeout)).Keys.Order());

            Assert.Equal(12, await rebuild.AbandonAsync().WaitAsync(Timeout));

            Assert.Empty(await log.StagedVersionsAsync().WaitAsync(Timeout));
            // Only the shard heads stay, without the log: they keep the number from being used again.
            Assert.Equal(["krs_shard_head"], (await VersionRows.CountAsync(database, rebuild.Target).WaitAsync(Timeout)).Keys);
            await Assert.ThrowsAsync<SnapshotVerificationException>(() => store.OpenVerifiedAsync(published)).WaitAsync(Timeout);
            Assert.Equal(Key(V1), Key((await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs")));
            Assert.Equal(servingBefore, await VersionRows.CountAsync(database, V1).WaitAsync(Timeout));
            // Gone, not staged: a second abandon says so instead of removing anything.
            await Assert.ThrowsAsync<VersionConflictException>(() => rebuild.AbandonAsync()).WaitAsync(Timeout);

            // The next rebuild takes the number after it (a replica that missed the drop may still hold a store of the
            // abandoned version), and once flipped it is no longer abandoned.
            VersionRebuild next = await VersionRebuild.StageAsync(log, "docs", 3).WaitAsync(Timeout);
            Assert.Equal(rebuild.Target.Version + 1, next.Target.Version);
            await next.FlipAsync(batchSize: 5).WaitAsync(Timeout);
            await Assert.ThrowsAsync<InvalidOperationException>(() => next.AbandonAsync()).WaitAsync(Timeout);
            await Assert.ThrowsAsync<VersionConflictException>(() => log.DropStagedVersionAsync(next.Target)).WaitAsync(Timeout);
            await Assert.ThrowsAsync<VersionConflictException>(() => log.DropStagedVersionAsync(V1)).WaitAsync(Timeout);
            Assert.Equal(Key(next.Target), Key((await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs")));
            Assert.Equal(12, await log.HeadAsync(next.Target, 0).WaitAsync(Timeout) + await log.HeadAsync(next.Target, 1).WaitAsync(Timeout) + await log.HeadAsync(next.Target, 2).WaitAsync(Timeout));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [PostgresFact]
    public async Task A_collection_with_no_serving_version_cannot_be_rebuilt()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);

        await Assert.ThrowsAsync<Storage.Collections.CollectionNotFoundException>(() => VersionRebuild.StageAsync(log, "missing", 2)).WaitAsync(Timeout);
        await Assert.ThrowsAsync<ArgumentException>(() => log.FlipAliasAsync(V1, new CollectionVersion("other", 2, 2))).WaitAsync(Timeout);
    }

    /// <summary>Each document's changes in log order, with the shard each landed on checked against the version's map.</summary>
    private static async Task<Dictionary<string, List<(LogOperation, string?)>>> HistoryAsync(PostgresWriteLog log, CollectionVersion version)
    {
        var history = new Dictionary<string, List<(LogOperation, string?)>>(StringComparer.Ordinal);
        for (int shard = 0; shard < version.Shards.ShardCount; shard++)
        {
            foreach (LogRecord record in await log.ReadAfterAsync(version, shard, 0, 1000).WaitAsync(Timeout))
            {
                Assert.Equal(shard, version.Shards.ShardOf(record.Entry.DocumentId));
                if (!history.TryGetValue(record.Entry.DocumentId, out List<(LogOperation, string?)>? changes))
                {
                    history[record.Entry.DocumentId] = changes = [];
                }

                changes.Add((record.Entry.Operation, record.Entry.Text));
            }
        }

        return history;
    }

    private static (string, long, int) Key(CollectionVersion version) => (version.Collection, version.Version, version.Shards.ShardCount);

    private static LogEntry Upsert(string id, string text) => LogEntry.Upsert(id, $"{text} {id}", null, "model", [new LogChunk(0, 4, [], [1, 0])]);
}
