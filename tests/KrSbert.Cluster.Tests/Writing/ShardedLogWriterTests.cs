using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.Writing;
using KrSbert.Cluster.WriteLog;
using Npgsql;

namespace KrSbert.Cluster.Tests.Writing;

[Collection(PostgresTests.Name)]
public sealed class ShardedLogWriterTests(PostgresCluster cluster)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly CollectionVersion Docs = new("docs", 3, 3);

    [PostgresFact]
    public async Task A_write_lands_on_each_documents_shard_in_request_order_and_its_token_holds_every_shards_sequence()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        // Only a serving (or staged) version takes appends.
        await log.SetAliasAsync(Docs).WaitAsync(Timeout);
        var writer = new ShardedLogWriter(log);
        LogEntry[] entries = [.. Enumerable.Range(0, 30).Select(i => Upsert($"doc-{i}")), LogEntry.Delete("doc-4")];

        ConsistencyToken first = await writer.AppendAsync(Docs, entries).WaitAsync(Timeout);
        ConsistencyToken second = ConsistencyToken.Parse((await writer.AppendAsync(Docs, [Upsert("doc-4")]).WaitAsync(Timeout)).Encode());

        Assert.Equal(Docs.Version, first.Version);
        for (int shard = 0; shard < 3; shard++)
        {
            IReadOnlyList<LogRecord> rows = await log.ReadAfterAsync(Docs, shard, 0, 100).WaitAsync(Timeout);
            Assert.Equal(entries.Where(e => Docs.Shards.ShardOf(e.DocumentId) == shard).Select(e => (e.DocumentId, e.Operation)), rows.Take((int)first.SequenceFor(shard)).Select(r => (r.Entry.DocumentId, r.Entry.Operation)));
            Assert.Equal(await log.HeadAsync(Docs, shard).WaitAsync(Timeout), first.Merge(second).SequenceFor(shard));
        }

        int shardOf4 = Docs.Shards.ShardOf("doc-4");
        Assert.Equal([shardOf4], second.Sequences.Keys);
        Assert.Equal(first.SequenceFor(shardOf4) + 1, second.SequenceFor(shardOf4));
    }

    [PostgresFact]
    public async Task A_shard_whose_append_fails_is_named_and_the_shards_that_committed_are_in_the_exception()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        // Only a serving (or staged) version takes appends.
        await log.SetAliasAsync(Docs).WaitAsync(Timeout);
        var writer = new ShardedLogWriter(log);
        string bad = Enumerable.Range(0, 100).Select(i => $"doc-{i}").First(id => Docs.Shards.ShardOf(id) == 1);
        // PostgreSQL text cannot hold U+0000, so only shard 1's transaction fails.
        LogEntry[] entries = [.. Enumerable.Range(0, 30).Select(i => $"doc-{i}").Where(id => id != bad).Select(Upsert), LogEntry.Upsert(bad, "nul \0 here", null, "model", [new LogChunk(0, 4, [], [1, 0])])];

        var error = await Assert.ThrowsAsync<ShardWriteException>(() => writer.AppendAsync(Docs, entries)).WaitAsync(Timeout);

        Assert.Equal(1, error.FailedShard);
        Assert.IsAssignableFrom<PostgresException>(error.InnerException);
        Assert.Equal([0, 2], error.Committed.Sequences.Keys);
        Assert.Equal(0, await log.HeadAsync(Docs, 1).WaitAsync(Timeout));
        Assert.Equal(error.Committed.SequenceFor(2), await log.HeadAsync(Docs, 2).WaitAsync(Timeout));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.AppendAsync(Docs, [])).WaitAsync(Timeout);
    }

    private static LogEntry Upsert(string id) => LogEntry.Upsert(id, $"text {id}", null, "model", [new LogChunk(0, 4, [], [1, 0])]);
}
