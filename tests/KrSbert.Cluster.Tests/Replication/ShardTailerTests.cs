using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Replication;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.WriteLog;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Querying;
using Npgsql;

namespace KrSbert.Cluster.Tests.Replication;

[Collection(PostgresTests.Name)]
public sealed class ShardTailerTests(PostgresCluster cluster) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly CollectionVersion Docs = new("docs", 1, 2);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "krsbert-tailer-" + Guid.NewGuid().ToString("N"));
    private SearchEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _directory }, embedder: null).WaitAsync(Timeout);
        await _engine.CreateCollectionAsync(new CollectionDefinition { Name = Docs.StoreName, Dimension = 4 }).WaitAsync(Timeout);
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [PostgresFact]
    public async Task A_tailer_applies_what_the_log_held_at_start_then_each_append_as_its_notice_arrives_and_stops_on_cancel()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        // Only a serving (or staged) version takes appends.
        await log.SetAliasAsync(Docs).WaitAsync(Timeout);
        string[] ids = [.. Enumerable.Range(0, 100).Select(i => $"doc-{i}").Where(id => Docs.Shards.ShardOf(id) == 1).Take(6)];
        await log.AppendAsync(Docs, 1, [.. ids[..3].Select(Upsert)]).WaitAsync(Timeout);
        var applier = new ShardApplier(_engine, Docs, 1);
        // A poll interval far beyond the test's timeouts: only LISTEN/NOTIFY can wake the tailer in time.
        var tailer = new ShardTailer(log, Docs, applier) { PollInterval = TimeSpan.FromMinutes(10), BatchSize = 2 };
        using var stop = new CancellationTokenSource();
        Task running = tailer.RunAsync(stop.Token);

        await applier.Applied.WaitForAsync(new ConsistencyToken(1, [new(1, 3)]), Timeout, TimeProvider.System, CancellationToken.None).WaitAsync(Timeout);
        // Another shard's append wakes nothing here; this shard's next ones are applied on their notices.
        await log.AppendAsync(Docs, 0, [Upsert(Enumerable.Range(0, 100).Select(i => $"doc-{i}").First(id => Docs.Shards.ShardOf(id) == 0))]).WaitAsync(Timeout);
        LogAppendResult upserts = await log.AppendAsync(Docs, 1, [.. ids[3..].Select(Upsert)]).WaitAsync(Timeout);
        LogAppendResult delete = await log.AppendAsync(Docs, 1, [LogEntry.Delete(ids[0])]).WaitAsync(Timeout);
        await applier.Applied.WaitForAsync(new ConsistencyToken(1, [new(1, delete.Last)]), Timeout, TimeProvider.System, CancellationToken.None).WaitAsync(Timeout);

        await stop.CancelAsync();
        await running.WaitAsync(Timeout);
        Assert.Equal((6L, 7L), (upserts.Last, applier.Applied.Applied));
        SearchResult result = await _engine.SearchAsync(Docs.StoreName, new SearchRequest { Vector = [1, 1, 1, 1], TopK = 10, Exact = true }).WaitAsync(Timeout);
        Assert.Equal(ids[1..].Order(StringComparer.Ordinal), result.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
    }

    [PostgresFact]
    [Trait("Category", "Slow")]
    public async Task A_tailer_whose_postgres_restarts_keeps_what_it_applied_then_listens_again_and_applies_the_next_append_on_its_notice()
    {
        // PostgreSQL of its own: stopping the shared one would break the connections of the tests after this one.
        var postgres = new PostgresCluster();
        await postgres.InitializeAsync().WaitAsync(Timeout);
        try
        {
            await using NpgsqlDataSource database = await postgres.CreateDatabaseAsync().WaitAsync(Timeout);
            PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
            // Only a serving (or staged) version takes appends.
            await log.SetAliasAsync(Docs).WaitAsync(Timeout);
            string[] ids = [.. Enumerable.Range(0, 100).Select(i => $"doc-{i}").Where(id => Docs.Shards.ShardOf(id) == 1).Take(3)];
            await log.AppendAsync(Docs, 1, [Upsert(ids[0])]).WaitAsync(Timeout);
            var applier = new ShardApplier(_engine, Docs, 1);
            // Polling far beyond the test's timeouts: after the restart only a new LISTEN, or the catch-up that follows it, moves the tailer on.
            var tailer = new ShardTailer(log, Docs, applier) { PollInterval = TimeSpan.FromMinutes(10) };
            using var stop = new CancellationTokenSource();
            Task running = tailer.RunAsync(stop.Token);
            await applier.Applied.WaitForAsync(new ConsistencyToken(1, [new(1, 1)]), Timeout, TimeProvider.System, CancellationToken.None).WaitAsync(Timeout);

            await postgres.StopAsync().WaitAsync(Timeout);
            // Long enough for the broken listening connection and a few failed retries.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            bool runningWhileDown = !running.IsCompleted;
            SearchResult whileDown = await _engine.SearchAsync(Docs.StoreName, new SearchRequest { Vector = [1, 1, 1, 1], TopK = 10, Exact = true }).WaitAsync(Timeout);
            await postgres.StartAsync().WaitAsync(Timeout);

            LogAppendResult second = await AppendRetryingAsync(log, ids[1]);
            await applier.Applied.WaitForAsync(new ConsistencyToken(1, [new(1, second.Last)]), Timeout, TimeProvider.System, CancellationToken.None).WaitAsync(Timeout);
            LogAppendResult third = await log.AppendAsync(Docs, 1, [Upsert(ids[2])]).WaitAsync(Timeout);
            await applier.Applied.WaitForAsync(new ConsistencyToken(1, [new(1, third.Last)]), Timeout, TimeProvider.System, CancellationToken.None).WaitAsync(Timeout);

            await stop.CancelAsync();
            await running.WaitAsync(Timeout);
            Assert.True(runningWhileDown);
            Assert.Equal([ids[0]], whileDown.Hits.Select(h => h.Id));
            Assert.Equal((2L, 3L), (second.Last, applier.Applied.Applied));
        }
        finally
        {
            await postgres.DisposeAsync().WaitAsync(Timeout);
        }
    }

    [Fact]
    public void After_failures_in_a_row_a_tailer_waits_twice_as_long_each_time_from_100_ms_up_to_its_poll_interval()
    {
        int[] failures = [1, 2, 3, 4, 5, 60];
        double[] waits = [.. failures.Select(n => ShardTailer.RetryDelay(n, TimeSpan.FromSeconds(1)).TotalMilliseconds)];

        Assert.Equal([100, 200, 400, 800, 1_000, 1_000], waits);
    }

    /// <summary>A restarted server may hand out a pooled connection it closed: the first appends can fail.</summary>
    private static async Task<LogAppendResult> AppendRetryingAsync(PostgresWriteLog log, string id)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        while (true)
        {
            try
            {
                return await log.AppendAsync(Docs, 1, [Upsert(id)], deadline.Token).WaitAsync(Timeout);
            }
            catch (NpgsqlException) when (!deadline.IsCancellationRequested)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private static LogEntry Upsert(string id) => LogEntry.Upsert(id, $"text {id}", null, "model", [new LogChunk(0, 4, [], [1, 1, 1, 1])]);
}
