using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Rebuilding;
using KrSbert.Cluster.Writing;
using KrSbert.Cluster.WriteLog;
using KrSbert.Storage.Collections;
using Npgsql;

namespace KrSbert.Cluster.Tests.WriteLog;

[Collection(PostgresTests.Name)]
public sealed class PostgresWriteLogTests(PostgresCluster cluster)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly CollectionVersion Docs = new("docs", 1, 2);

    [PostgresFact]
    public async Task Rows_read_back_as_written_in_sequence_order_with_tombstones_for_deletes()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await ServingAsync(database);
        string[] ids = IdsOnShard(Docs, 0, 3);
        LogChunk[] chunks = [new(0, 4, [101, 2005, 102], [0.25f, -1.5f, float.Epsilon]), new(3, 9, [], [1f, 0f, -0f])];

        LogAppendResult first = await log.AppendAsync(Docs, 0, [
            LogEntry.Upsert(ids[0], "바다와 하늘", new Dictionary<string, string> { ["lang"] = "ko", ["빈"] = "" }, "kr-sbert-tiny", chunks),
            LogEntry.Upsert(ids[1], null, null, null, [new(0, 0, [], [1f, 2f, 3f])]),
        ]).WaitAsync(Timeout);
        LogAppendResult second = await log.AppendAsync(Docs, 0, [LogEntry.Delete(ids[0]), LogEntry.Delete(ids[2])]).WaitAsync(Timeout);

        Assert.Equal((new LogAppendResult(0, 1, 2), new LogAppendResult(0, 3, 4)), (first, second));
        IReadOnlyList<LogRecord> records = await log.ReadAfterAsync(Docs, 0, after: 0, limit: 100).WaitAsync(Timeout);
        Assert.Equal([1L, 2, 3, 4], records.Select(r => r.Sequence));
        LogEntry upsert = records[0].Entry;
        Assert.Equal((LogOperation.Upsert, ids[0], "바다와 하늘", "kr-sbert-tiny"), (upsert.Operation, upsert.DocumentId, upsert.Text, upsert.ModelId));
        Assert.Equal(new Dictionary<string, string> { ["lang"] = "ko", ["빈"] = "" }, upsert.Metadata);
        Assert.Equal(2, upsert.Chunks.Count);
        Assert.Equal((0, 4), (upsert.Chunks[0].Start, upsert.Chunks[0].End));
        Assert.Equal(chunks[0].TokenIds, upsert.Chunks[0].TokenIds);
        Assert.Equal(chunks[0].Vector, upsert.Chunks[0].Vector);
        Assert.True(float.IsNegative(upsert.Chunks[1].Vector[2]));
        Assert.Null(records[1].Entry.Text);
        Assert.Empty(records[1].Entry.Metadata!);
        // A tombstone keeps only the id; deleting an id the log never stored is still logged, for replicas that hold it.
        Assert.All(records.Skip(2), r => Assert.Equal((LogOperation.Delete, (string?)null, 0), (r.Entry.Operation, r.Entry.Text, r.Entry.Chunks.Count)));
        Assert.Equal([ids[0], ids[2]], records.Skip(2).Select(r => r.Entry.DocumentId));
        Assert.Empty(await log.ReadAfterAsync(Docs, 1, after: 0, limit: 100).WaitAsync(Timeout));
    }

    [PostgresFact]
    public async Task Read_after_returns_the_rows_after_a_sequence_in_order_up_to_the_limit()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await ServingAsync(database);
        string[] ids = IdsOnShard(Docs, 1, 10);
        foreach (string[] batch in ids.Chunk(3))
        {
            await log.AppendAsync(Docs, 1, [.. batch.Select(Upsert)]).WaitAsync(Timeout);
        }

        IReadOnlyList<LogRecord> page = await log.ReadAfterAsync(Docs, 1, after: 3, limit: 4).WaitAsync(Timeout);
        IReadOnlyList<LogRecord> rest = await log.ReadAfterAsync(Docs, 1, after: 7, limit: 100).WaitAsync(Timeout);

        Assert.Equal([4L, 5, 6, 7], page.Select(r => r.Sequence));
        Assert.Equal(ids[3..7], page.Select(r => r.Entry.DocumentId));
        Assert.Equal([8L, 9, 10], rest.Select(r => r.Sequence));
        Assert.Empty(await log.ReadAfterAsync(Docs, 1, after: 10, limit: 100).WaitAsync(Timeout));
        Assert.Equal((10L, 0L), (await log.HeadAsync(Docs, 1).WaitAsync(Timeout), await log.HeadAsync(Docs, 0).WaitAsync(Timeout)));
    }

    [PostgresFact]
    [Trait("Category", "Slow")]
    public async Task Eight_concurrent_writers_get_a_gapless_sequence_with_each_batch_contiguous()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await ServingAsync(database);
        string[] ids = IdsOnShard(Docs, 0, 8 * 20 * 3);

        LogAppendResult[][] results = await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            var mine = new List<LogAppendResult>();
            for (int batch = 0; batch < 20; batch++)
            {
                int size = 1 + ((writer + batch) % 3);
                int offset = ((writer * 20) + batch) * 3;
                mine.Add(await log.AppendAsync(Docs, 0, [.. ids[offset..(offset + size)].Select(Upsert)]).ConfigureAwait(false));
            }

            return mine.ToArray();
        }))).WaitAsync(TimeSpan.FromSeconds(120));

        IReadOnlyList<LogRecord> records = await log.ReadAfterAsync(Docs, 0, after: 0, limit: 10_000).WaitAsync(Timeout);
        int total = results.Sum(w => w.Sum(r => (int)(r.Last - r.First + 1)));
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), records.Select(r => r.Sequence));
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), results.SelectMany(w => w).OrderBy(r => r.First).SelectMany(r => Range(r.First, r.Last)));
        foreach (LogAppendResult[] writer in results)
        {
            // A batch's rows take consecutive sequences in the order given, and one writer's batches go in order.
            Assert.Equal(writer.OrderBy(r => r.First), writer);
            for (int batch = 0; batch < writer.Length; batch++)
            {
                int offset = ((Array.IndexOf(results, writer) * 20) + batch) * 3;
                Assert.Equal(ids[offset..(offset + (int)(writer[batch].Last - writer[batch].First + 1))], records.Where(r => r.Sequence >= writer[batch].First && r.Sequence <= writer[batch].Last).Select(r => r.Entry.DocumentId));
            }
        }
    }

    [PostgresFact]
    public async Task Compaction_removes_rows_every_snapshot_holds_and_keeps_the_rows_the_oldest_snapshot_needs()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await ServingAsync(database);
        string[] zero = IdsOnShard(Docs, 0, 12), one = IdsOnShard(Docs, 1, 4);
        await log.AppendAsync(Docs, 0, [.. zero[..10].Select(Upsert)]).WaitAsync(Timeout);
        await log.AppendAsync(Docs, 1, [.. one.Select(Upsert)]).WaitAsync(Timeout);
        await log.RegisterSnapshotAsync(Docs, Snapshot(0, 7)).WaitAsync(Timeout);
        await log.RegisterSnapshotAsync(Docs, Snapshot(0, 4)).WaitAsync(Timeout);

        long removed = await log.CompactAsync(Docs).WaitAsync(Timeout);

        // Rows 1-4 of shard 0 are in both snapshots; 5-10 are what a replica loading the snapshot at 4 reads on.
        Assert.Equal(4, removed);
        Assert.Equal([5L, 6, 7, 8, 9, 10], (await log.ReadAfterAsync(Docs, 0, after: 4, limit: 100).WaitAsync(Timeout)).Select(r => r.Sequence));
        Assert.Equal(4, (await log.ReadAfterAsync(Docs, 1, after: 0, limit: 100).WaitAsync(Timeout)).Count);
        var behind = await Assert.ThrowsAsync<LogCompactedException>(() => log.ReadAfterAsync(Docs, 0, after: 2, limit: 100)).WaitAsync(Timeout);
        Assert.Equal((0, 2L, 4L), (behind.Shard, behind.After, behind.CompactedThrough));
        Assert.Equal([7L, 4], (await log.SnapshotsAsync(Docs, 0).WaitAsync(Timeout)).Select(s => s.Sequence));

        // Once the older snapshot is gone, the newer one sets the floor; the sequence goes on past removed rows.
        Assert.True(await log.UnregisterSnapshotAsync(Docs, 0, 4).WaitAsync(Timeout));
        Assert.Equal(3, await log.CompactAsync(Docs).WaitAsync(Timeout));
        Assert.Equal(0, await log.CompactAsync(Docs).WaitAsync(Timeout));
        await log.RegisterSnapshotAsync(Docs, Snapshot(0, 10)).WaitAsync(Timeout);
        Assert.True(await log.UnregisterSnapshotAsync(Docs, 0, 7).WaitAsync(Timeout));
        Assert.Equal(3, await log.CompactAsync(Docs).WaitAsync(Timeout));
        Assert.Empty(await log.ReadAfterAsync(Docs, 0, after: 10, limit: 100).WaitAsync(Timeout));
        Assert.Equal(new LogAppendResult(0, 11, 12), await log.AppendAsync(Docs, 0, [.. zero[10..].Select(Upsert)]).WaitAsync(Timeout));
    }

    [PostgresFact]
    public async Task A_snapshot_past_the_head_below_the_compacted_rows_or_with_a_bad_hash_is_refused()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await ServingAsync(database);
        await log.AppendAsync(Docs, 0, [.. IdsOnShard(Docs, 0, 5).Select(Upsert)]).WaitAsync(Timeout);
        await log.RegisterSnapshotAsync(Docs, Snapshot(0, 3)).WaitAsync(Timeout);
        await log.CompactAsync(Docs).WaitAsync(Timeout);

        var pastHead = await Assert.ThrowsAsync<ArgumentException>(() => log.RegisterSnapshotAsync(Docs, Snapshot(0, 6))).WaitAsync(Timeout);
        var belowCompacted = await Assert.ThrowsAsync<ArgumentException>(() => log.RegisterSnapshotAsync(Docs, Snapshot(0, 2))).WaitAsync(Timeout);
        var badHash = await Assert.ThrowsAsync<ArgumentException>(() => log.RegisterSnapshotAsync(Docs, new SnapshotRegistration(0, 4, "s", new byte[31]))).WaitAsync(Timeout);

        Assert.Contains("sequence 6; the log's head is 5", pastHead.Message, StringComparison.Ordinal);
        Assert.Contains("compacted through 3, so it could not catch up", belowCompacted.Message, StringComparison.Ordinal);
        Assert.Contains("sha256 has 31 bytes", badHash.Message, StringComparison.Ordinal);
        Assert.Equal([3L], (await log.SnapshotsAsync(Docs, 0).WaitAsync(Timeout)).Select(s => s.Sequence));
    }

    [PostgresFact]
    public async Task A_batch_that_is_empty_holds_another_shards_document_or_names_no_shard_is_refused_and_nothing_is_written()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        string other = IdsOnShard(Docs, 1, 1)[0];

        var empty = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(Docs, 0, [])).WaitAsync(Timeout);
        var misrouted = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(Docs, 0, [Upsert(IdsOnShard(Docs, 0, 1)[0]), Upsert(other)])).WaitAsync(Timeout);
        var noShard = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.AppendAsync(Docs, 2, [Upsert(other)])).WaitAsync(Timeout);

        Assert.Contains("the batch is empty", empty.Message, StringComparison.Ordinal);
        Assert.Contains($"document '{other}' belongs to shard 1, not 0", misrouted.Message, StringComparison.Ordinal);
        Assert.Contains("has shards 0 to 1", noShard.Message, StringComparison.Ordinal);
        Assert.Equal(0, await log.HeadAsync(Docs, 0).WaitAsync(Timeout));
        Assert.Throws<ArgumentException>(() => LogEntry.Upsert("x", "text", null, null, []));
    }

    [PostgresFact]
    public async Task An_append_notifies_listeners_after_its_commit()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await ServingAsync(database);
        await using NpgsqlConnection listener = await database.OpenConnectionAsync().AsTask().WaitAsync(Timeout);
        var notices = new List<string>();
        listener.Notification += (_, e) => notices.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {PostgresWriteLog.NotificationChannel}", listener))
        {
            await listen.ExecuteNonQueryAsync().WaitAsync(Timeout);
        }

        await log.AppendAsync(Docs, 1, [.. IdsOnShard(Docs, 1, 3).Select(Upsert)]).WaitAsync(Timeout);
        Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(30)).WaitAsync(Timeout));

        Assert.Equal(new LogAppendNotice("docs", 1, 1, 3), LogAppendNotice.Parse(Assert.Single(notices)));
        Assert.Throws<FormatException>(() => LogAppendNotice.Parse("docs/1/x/3"));
    }

    [PostgresFact]
    public async Task Aliases_resolve_each_collection_to_its_serving_version_and_flip_to_a_rebuilt_one()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        await log.SetAliasAsync(new CollectionVersion("docs", 1, 2)).WaitAsync(Timeout);
        await log.SetAliasAsync(new CollectionVersion("faq", 4, 1)).WaitAsync(Timeout);

        AliasTable before = await log.ReadAliasesAsync().WaitAsync(Timeout);
        await log.SetAliasAsync(new CollectionVersion("docs", 2, 4)).WaitAsync(Timeout);
        AliasTable after = await log.ReadAliasesAsync().WaitAsync(Timeout);

        Assert.Equal((1L, 2), (before.Resolve("docs").Version, before.Resolve("docs").Shards.ShardCount));
        Assert.Equal((2L, 4, "docs__v2"), (after.Resolve("docs").Version, after.Resolve("docs").Shards.ShardCount, after.Resolve("docs").StoreName));
        Assert.Equal(4, after.Resolve("faq").Version);
        // A second host opening the same database finds the tables there.
        Assert.Equal(["docs", "faq"], (await (await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout)).ReadAliasesAsync().WaitAsync(Timeout)).Collections);
    }

    /// <summary>The log in <paramref name="database"/> with <see cref="Docs"/> made to serve, as a router's create does: only a serving or staged version takes appends.</summary>
    private static async Task<PostgresWriteLog> ServingAsync(NpgsqlDataSource database)
    {
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        await log.CreateAliasAsync(Docs, Aliases.LocalVersionsTests.Recorded).WaitAsync(Timeout);
        return log;
    }

    private static LogEntry Upsert(string id) => LogEntry.Upsert(id, $"text {id}", null, "model", [new(0, 4, [1, 2], [1f, 0f])]);

    private static SnapshotRegistration Snapshot(int shard, long sequence) => new(shard, sequence, $"snapshots/{shard}/{sequence}", new byte[32]);

    private static IEnumerable<long> Range(long first, long last)
    {
        for (long i = first; i <= last; i++)
        {
            yield return i;
        }
    }

    [PostgresFact]
    public async Task Deleting_a_collection_removes_its_alias_staged_version_settings_snapshots_and_log_and_the_name_made_again_takes_a_new_version()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        var other = new CollectionVersion("other", 1, 1);
        var staged = new CollectionVersion("docs", 2, 3);
        long firstEver = await log.FirstFreeVersionAsync("docs").WaitAsync(Timeout);
        await log.SetSettingsAsync(Docs, Aliases.LocalVersionsTests.Recorded).WaitAsync(Timeout);
        await log.SetAliasAsync(Docs).WaitAsync(Timeout);
        await log.SetAliasAsync(other).WaitAsync(Timeout);
        await log.AppendAsync(Docs, 0, [LogEntry.Delete(IdsOnShard(Docs, 0, 1)[0])]).WaitAsync(Timeout);
        await log.AppendAsync(other, 0, [LogEntry.Delete("kept")]).WaitAsync(Timeout);
        await log.RegisterSnapshotAsync(Docs, new SnapshotRegistration(0, 1, "docs-0-1", new byte[32])).WaitAsync(Timeout);
        await log.StageVersionAsync(staged).WaitAsync(Timeout);

        bool deleted = await log.DeleteCollectionAsync("docs").WaitAsync(Timeout);
        bool again = await log.DeleteCollectionAsync("docs").WaitAsync(Timeout);

        Assert.Equal(1, firstEver);
        Assert.True(deleted);
        Assert.False(again);
        AliasTable aliases = await log.ReadAliasesAsync().WaitAsync(Timeout);
        Assert.Equal(["other"], aliases.Collections);
        Assert.Empty(await log.StagedVersionsAsync().WaitAsync(Timeout));
        Assert.Null(await log.ReadSettingsAsync(Docs).WaitAsync(Timeout));
        Assert.Empty(await log.SnapshotsAsync(Docs, 0).WaitAsync(Timeout));
        Assert.Empty(await log.ReadAfterAsync(Docs, 0, 0, 10).WaitAsync(Timeout));
        Assert.Single(await log.ReadAfterAsync(other, 0, 0, 10).WaitAsync(Timeout));
        // Past the staged version too: a replica may still hold either one's store.
        Assert.Equal(3, await log.FirstFreeVersionAsync("docs").WaitAsync(Timeout));
    }

    [PostgresFact]
    public async Task Only_a_collection_this_log_saw_deleted_counts_as_deleted_not_one_it_never_knew_nor_one_that_serves()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        await log.SetAliasAsync(Docs).WaitAsync(Timeout);

        bool unknown = await log.IsDeletedAsync("never-here", 1).WaitAsync(Timeout);
        bool serving = await log.IsDeletedAsync(Docs.Collection, Docs.Version).WaitAsync(Timeout);
        await log.DeleteCollectionAsync(Docs.Collection).WaitAsync(Timeout);
        bool deleted = await log.IsDeletedAsync(Docs.Collection, Docs.Version).WaitAsync(Timeout);
        bool laterThanAnyKnown = await log.IsDeletedAsync(Docs.Collection, Docs.Version + 1).WaitAsync(Timeout);

        Assert.Equal((false, false, true, false), (unknown, serving, deleted, laterThanAnyKnown));
    }

    [PostgresFact]
    public async Task An_append_to_a_version_that_neither_serves_nor_is_staged_is_refused_and_writes_nothing()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        var v2 = new CollectionVersion("docs", 2, 2);
        LogEntry[] batch = [Upsert(IdsOnShard(Docs, 0, 1)[0])];

        var unknown = await Assert.ThrowsAsync<VersionNotWritableException>(() => log.AppendAsync(Docs, 0, batch)).WaitAsync(Timeout);
        await log.CreateAliasAsync(Docs, Aliases.LocalVersionsTests.Recorded).WaitAsync(Timeout);
        var notStaged = await Assert.ThrowsAsync<VersionNotWritableException>(() => log.AppendAsync(v2, 0, batch)).WaitAsync(Timeout);
        await log.AppendAsync(Docs, 0, batch).WaitAsync(Timeout);
        await log.StageVersionAsync(v2).WaitAsync(Timeout);
        await log.AppendAsync(v2, 0, batch).WaitAsync(Timeout);
        await log.FlipAliasAsync(Docs, v2).WaitAsync(Timeout);
        var retired = await Assert.ThrowsAsync<VersionNotWritableException>(() => log.AppendAsync(Docs, 0, batch)).WaitAsync(Timeout);
        await log.AppendAsync(v2, 0, batch).WaitAsync(Timeout);
        await log.DropVersionAsync(Docs).WaitAsync(Timeout);
        await Assert.ThrowsAsync<VersionNotWritableException>(() => log.AppendAsync(Docs, 0, batch)).WaitAsync(Timeout);
        await log.DeleteCollectionAsync("docs").WaitAsync(Timeout);
        var deleted = await Assert.ThrowsAsync<VersionNotWritableException>(() => log.AppendAsync(v2, 0, batch)).WaitAsync(Timeout);

        Assert.Equal(("docs", 1L, (long?)null), (unknown.Collection, unknown.Version, unknown.Serving));
        Assert.Equal((2L, (long?)1), (notStaged.Version, notStaged.Serving));
        Assert.Equal((1L, (long?)2), (retired.Version, retired.Serving));
        Assert.Contains("version 2 serves and 1 is not staged after it; the collection's version changed", retired.Message, StringComparison.Ordinal);
        Assert.Contains("no version of 'docs' serves", deleted.Message, StringComparison.Ordinal);
        // A refused append leaves no trace: the dropped version's shard head is not made again at sequence 0.
        Assert.Equal(0, await log.HeadAsync(Docs, 0).WaitAsync(Timeout));
        Assert.Equal(2, await log.HeadAsync(v2, 0).WaitAsync(Timeout));
        Assert.Empty(await log.ReadAfterAsync(v2, 0, 0, 10).WaitAsync(Timeout));
    }

    [PostgresFact]
    [Trait("Category", "Slow")]
    public async Task Writers_that_resolved_the_old_version_are_refused_after_a_flip_and_every_row_it_took_reaches_the_new_version()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await ServingAsync(database);
        var writer = new ShardedLogWriter(log);
        int[] batches = new int[4];
        bool[] refused = new bool[4];
        using var stop = new CancellationTokenSource();

        // Each writer resolved the alias once, as an ingest stream or a delete-by-filter loop does, and writes until refused.
        Task[] writers = [.. Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && batches[w] < 5_000)
            {
                try
                {
                    await writer.AppendAsync(Docs, [.. Enumerable.Range(0, 4).Select(i => LogEntry.Upsert($"w{w}-{(batches[w] + i) % 10}", $"w{w} b{batches[w]}", null, "model", [new(0, 4, [], [1f, 0f])]))]).ConfigureAwait(false);
                }
                catch (ShardWriteException e) when (e.InnerException is VersionNotWritableException)
                {
                    refused[w] = true;
                    return;
                }

                Interlocked.Increment(ref batches[w]);
            }
        }))];
        while (Enumerable.Range(0, 4).Any(w => Volatile.Read(ref batches[w]) < 3 && !writers[w].IsCompleted))
        {
            await Task.Delay(10).WaitAsync(Timeout);
        }

        VersionRebuild rebuild = await VersionRebuild.StageAsync(log, "docs", 3).WaitAsync(Timeout);
        await rebuild.FlipAsync(batchSize: 50).WaitAsync(Timeout);
        // Writes after the drain would be lost; a writer still accepted now would show it.
        stop.CancelAfter(TimeSpan.FromMilliseconds(500));
        await Task.WhenAll(writers).WaitAsync(Timeout);

        Dictionary<string, List<string?>> source = await HistoryAsync(log, Docs), target = await HistoryAsync(log, rebuild.Target);
        Assert.True(source.Sum(p => p.Value.Count) >= batches.Sum() * 4, "an acknowledged write is missing from the old version's log");
        Assert.Equal(source.Keys.Order(), target.Keys.Order());
        Assert.All(source, pair => Assert.Equal(pair.Value, target[pair.Key]));
        Assert.All(refused, Assert.True);
    }

    [PostgresFact]
    [Trait("Category", "Slow")]
    public async Task Of_eight_concurrent_creates_of_one_name_exactly_one_wins_and_the_alias_and_settings_are_the_winners()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        long first = await log.FirstFreeVersionAsync("docs").WaitAsync(Timeout);

        // Each create names the version it picked and settings of its own, as routers racing for the name do.
        CollectionVersion[] versions = [.. Enumerable.Range(1, 8).Select(shards => new CollectionVersion("docs", first, shards))];
        CollectionSettings[] settings = [.. Enumerable.Range(0, 8).Select(i => Aliases.LocalVersionsTests.Recorded with { Bm25K1 = 1.0 + (i / 10.0) })];
        Task[] creates = [.. Enumerable.Range(0, 8).Select(i => Task.Run(() => log.CreateAliasAsync(versions[i], settings[i])))];
        try
        {
            await Task.WhenAll(creates).WaitAsync(Timeout);
        }
        catch (CollectionExistsException)
        {
            // The losers; each is checked below.
        }

        Assert.Equal(1, creates.Count(c => c.IsCompletedSuccessfully));
        int winner = Array.FindIndex(creates, c => c.IsCompletedSuccessfully);
        Assert.All(creates.Where(c => !c.IsCompletedSuccessfully), c => Assert.IsType<CollectionExistsException>(c.Exception!.InnerException));
        CollectionVersion serving = (await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs");
        Assert.Equal((first, versions[winner].Shards.ShardCount), (serving.Version, serving.Shards.ShardCount));
        Assert.Equal(settings[winner], await log.ReadSettingsAsync(serving).WaitAsync(Timeout));
        // A create after the first, or one whose version was used since it was picked, changes nothing either.
        await Assert.ThrowsAsync<CollectionExistsException>(() => log.CreateAliasAsync(new CollectionVersion("docs", first + 1, 1), settings[0])).WaitAsync(Timeout);
        await log.DeleteCollectionAsync("docs").WaitAsync(Timeout);
        await Assert.ThrowsAsync<VersionConflictException>(() => log.CreateAliasAsync(serving, settings[winner])).WaitAsync(Timeout);
        Assert.Empty((await log.ReadAliasesAsync().WaitAsync(Timeout)).Collections);
    }

    /// <summary>Each document's changes (their text, null for a delete) in log order over every shard of <paramref name="version"/>.</summary>
    private static async Task<Dictionary<string, List<string?>>> HistoryAsync(PostgresWriteLog log, CollectionVersion version)
    {
        var history = new Dictionary<string, List<string?>>(StringComparer.Ordinal);
        for (int shard = 0; shard < version.Shards.ShardCount; shard++)
        {
            foreach (LogRecord record in await log.ReadAfterAsync(version, shard, 0, 100_000).WaitAsync(Timeout))
            {
                if (!history.TryGetValue(record.Entry.DocumentId, out List<string?>? changes))
                {
                    history[record.Entry.DocumentId] = changes = [];
                }

                changes.Add(record.Entry.Text);
            }
        }

        return history;
    }

    private static string[] IdsOnShard(CollectionVersion version, int shard, int count) =>
        [.. Enumerable.Range(0, int.MaxValue).Select(i => $"doc-{i}").Where(id => version.Shards.ShardOf(id) == shard).Take(count)];
}
