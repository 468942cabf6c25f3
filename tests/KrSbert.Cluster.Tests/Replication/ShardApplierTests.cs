using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.WriteLog;
using KrSbert.Cluster.Replication;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Querying;
using Npgsql;

namespace KrSbert.Cluster.Tests.Replication;

[Collection(PostgresTests.Name)]
public sealed class ShardApplierTests(PostgresCluster cluster) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly CollectionVersion Docs = new("docs", 1, 1);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "krsbert-replica-" + Guid.NewGuid().ToString("N"));
    private SearchEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _engine = await OpenAsync().WaitAsync(Timeout);
        await _engine.CreateCollectionAsync(new CollectionDefinition { Name = Docs.StoreName, Dimension = 4 }).WaitAsync(Timeout);
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Log_rows_are_applied_as_given_and_a_batch_delivered_again_changes_nothing_even_after_a_restart()
    {
        var applier = new ShardApplier(_engine, Docs, 0);
        LogRecord[] first = [Row(1, Upsert("a", [1, 0, 0, 0])), Row(2, Upsert("b", [0, 1, 0, 0])), Row(3, Upsert("c", [0, 0, 1, 0]))];
        LogRecord[] second = [Row(4, LogEntry.Delete("a")), Row(5, Upsert("b", [0, 0, 0, 1]))];

        Assert.Equal(3, await applier.ApplyAsync(first).WaitAsync(Timeout));
        Assert.Equal(2, await applier.ApplyAsync(second).WaitAsync(Timeout));
        // A repeat, from this applier and from a fresh one after a restart, must not bring "a" or b's old vector back.
        Assert.Equal(0, await applier.ApplyAsync(first).WaitAsync(Timeout));
        await _engine.DisposeAsync();
        _engine = await OpenAsync().WaitAsync(Timeout);
        var restarted = new ShardApplier(_engine, Docs, 0);
        Assert.Equal(5, restarted.Applied.Applied);
        Assert.Equal(0, await restarted.ApplyAsync([.. first, .. second]).WaitAsync(Timeout));
        Assert.False(await _engine.ApplySourceBatchAsync(Docs.StoreName, [new KrSbert.Storage.Documents.DocumentWrite.Delete("b")], 5).WaitAsync(Timeout));

        SearchResult result = await _engine.SearchAsync(Docs.StoreName, new SearchRequest { Vector = [0, 0, 0, 1], TopK = 10, Exact = true, IncludeText = true }).WaitAsync(Timeout);
        Assert.Equal(["b", "c"], result.Hits.Select(h => h.Id).Order(StringComparer.Ordinal));
        Assert.Equal(("b", 1f, "text b"), (result.Hits[0].Id, result.Hits[0].Score, result.Hits[0].Text));
        Assert.Equal((5L, 2L), (_engine.SourceSequence(Docs.StoreName), _engine.GetCollection(Docs.StoreName).Record.DocumentCount));
    }

    [Fact]
    public async Task Rows_that_skip_a_sequence_are_refused_and_nothing_is_written()
    {
        var applier = new ShardApplier(_engine, Docs, 0);
        await applier.ApplyAsync([Row(1, Upsert("a", [1, 0, 0, 0]))]).WaitAsync(Timeout);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => applier.ApplyAsync([Row(2, Upsert("b", [0, 1, 0, 0])), Row(4, Upsert("c", [0, 0, 1, 0]))])).WaitAsync(Timeout);

        Assert.Contains("has applied sequence 2; the next log row given is 4", error.Message, StringComparison.Ordinal);
        Assert.Equal((1L, 1L), (_engine.SourceSequence(Docs.StoreName), _engine.GetCollection(Docs.StoreName).Record.DocumentCount));
    }

    [Fact]
    public async Task A_row_with_a_vector_the_index_cannot_take_is_refused_before_anything_is_written()
    {
        var applier = new ShardApplier(_engine, Docs, 0);

        var error = await Assert.ThrowsAsync<InvalidDocumentsException>(() => applier.ApplyAsync([Row(1, Upsert("a", [1, 0, 0, 0])), Row(2, Upsert("z", [0, 0, 0, 0]))])).WaitAsync(Timeout);
        var wrongSize = await Assert.ThrowsAsync<InvalidDocumentsException>(() => applier.ApplyAsync([Row(1, Upsert("a", [1, 0, 0]))])).WaitAsync(Timeout);

        Assert.Equal(("z", "chunks[0].vector"), (error.Failures[0].Id, error.Failures[0].Field));
        Assert.Equal("a", wrongSize.Failures[0].Id);
        Assert.Equal((0L, 0L), (applier.Applied.Applied, _engine.GetCollection(Docs.StoreName).Record.DocumentCount));
    }

    [PostgresFact]
    public async Task A_replica_catches_up_from_the_log_in_batches_to_its_head_and_wakes_token_reads()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        // Only a serving (or staged) version takes appends.
        await log.SetAliasAsync(Docs).WaitAsync(Timeout);
        var random = new Random(3);
        for (int batch = 0; batch < 5; batch++)
        {
            await log.AppendAsync(Docs, 0, [.. Enumerable.Range(0, 3).Select(i => Upsert($"d{(batch * 3) + i}", [.. Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble() + 0.1f)]))]).WaitAsync(Timeout);
        }

        LogAppendResult delete = await log.AppendAsync(Docs, 0, [LogEntry.Delete("d0")]).WaitAsync(Timeout);
        var applier = new ShardApplier(_engine, Docs, 0);
        var token = new KrSbert.Cluster.Consistency.ConsistencyToken(Docs.Version, [new(0, delete.Last)]);
        Task read = applier.Applied.WaitForAsync(token, TimeSpan.FromSeconds(30), TimeProvider.System, CancellationToken.None);

        long applied = await applier.CatchUpAsync(log, batchSize: 4).WaitAsync(Timeout);

        await read.WaitAsync(Timeout);
        Assert.Equal((16L, 16L), (applied, applier.Applied.Applied));
        Assert.Equal(14L, _engine.GetCollection(Docs.StoreName).Record.DocumentCount);
        Assert.Equal(0, await applier.CatchUpAsync(log, batchSize: 4).WaitAsync(Timeout));
    }

    private Task<SearchEngine> OpenAsync() => SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _directory }, embedder: null);

    private static LogRecord Row(long sequence, LogEntry entry) => new(sequence, entry);

    private static LogEntry Upsert(string id, float[] vector) => LogEntry.Upsert(id, $"text {id}", new Dictionary<string, string> { ["k"] = "v" }, "model", [new LogChunk(0, 6, [101, 102], vector)]);
}
