using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Rebuilding;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.Writing;
using KrSbert.Cluster.WriteLog;
using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using Npgsql;

namespace KrSbert.Cluster.Tests.Rebuilding;

/// <summary>
/// A rebuild into a new model: version 1 was embedded by the embedded MiniLM, the builder runs the tiny KR-SBERT
/// model, and version 2 records that model and holds every document as that model embeds it.
/// </summary>
[Collection(PostgresTests.Name)]
public sealed class ReembeddingRebuildTests(PostgresCluster cluster) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "krsbert-reembed-" + Guid.NewGuid().ToString("N"));
    private readonly List<SearchEngine> _engines = [];

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

    [PostgresModelFact(TestModels.TinyRandomFolder)]
    public async Task A_rebuild_with_a_new_model_records_it_and_re_embeds_every_upsert_with_it_while_tombstones_copy_as_they_are()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        var v1 = new CollectionVersion("docs", 1, 2);
        SearchEngine router = await OpenAsync("router", Embedders.MiniLm);
        CollectionSettings old = (await router.CreateCollectionAsync(new CollectionDefinition { Name = v1.StoreName, M = 24, Bm25 = new Search.Lexical.Bm25(1.2, 0.5) }).WaitAsync(Timeout)).Record.Settings;
        await log.SetSettingsAsync(v1, old).WaitAsync(Timeout);
        await log.SetAliasAsync(v1).WaitAsync(Timeout);
        var writer = new ShardedLogWriter(log);
        await writer.AppendAsync(v1, await EmbeddedAsync(router, v1, [.. Enumerable.Range(0, 12).Select(i => new DocumentInput($"d{i}", $"서울 도서관 {i}번 자료실은 아침 {i}시에 엽니다.", Metadata: new Dictionary<string, string> { ["n"] = $"{i}" }))])).WaitAsync(Timeout);
        await writer.AppendAsync(v1, [LogEntry.Delete("d3"), .. await EmbeddedAsync(router, v1, [new DocumentInput("d4", "The river floods after heavy rain.")])]).WaitAsync(Timeout);

        SearchEngine builder = await OpenAsync("builder", Embedders.TinyKrSbert);
        VersionRebuild rebuild = await VersionRebuild.StageAsync(log, "docs", 3, new VersionRebuildOptions { ReembedWith = builder }).WaitAsync(Timeout);
        Assert.Equal(14, await rebuild.CopyAsync(batchSize: 5).WaitAsync(Timeout));

        CollectionSettings recorded = (await log.ReadSettingsAsync(rebuild.Target).WaitAsync(Timeout))!;
        Assert.Equal(Embedders.TinyKrSbert.Model.Name, recorded.ModelName);
        Assert.Equal(Embedders.TinyKrSbert.DimensionOf(Embedding.Pooling.PoolingModes.Parse(old.Pooling)), recorded.Dimension);
        // The collection's own choices stay.
        Assert.Equal((old.Metric, old.M, old.Bm25K1, old.Bm25B, old.Pooling), (recorded.Metric, recorded.M, recorded.Bm25K1, recorded.Bm25B, recorded.Pooling));

        // A single node with the new model, fed the same texts, is what each re-embedded row must hold.
        SearchEngine single = await OpenAsync("single", Embedders.TinyKrSbert);
        await single.CreateCollectionAsync("docs", recorded).WaitAsync(Timeout);
        var operations = new List<(string, LogOperation)>();
        for (int shard = 0; shard < 3; shard++)
        {
            foreach (LogRecord record in await log.ReadAfterAsync(rebuild.Target, shard, 0, 100).WaitAsync(Timeout))
            {
                LogEntry entry = record.Entry;
                operations.Add((entry.DocumentId, entry.Operation));
                if (entry.Operation == LogOperation.Delete)
                {
                    continue;
                }

                Assert.Equal(Embedders.TinyKrSbert.Model.Name, entry.ModelId);
                PreparedUpsert expected = await single.PrepareUpsertAsync("docs", [new DocumentInput(entry.DocumentId, entry.Text, Metadata: entry.Metadata)]).WaitAsync(Timeout);
                IReadOnlyList<StoredChunk> chunks = ((DocumentWrite.Upsert)Assert.Single(expected.Documents)).Chunks;
                Assert.Equal(chunks.Count, entry.Chunks.Count);
                for (int c = 0; c < chunks.Count; c++)
                {
                    Assert.Equal(chunks[c].TokenIds, entry.Chunks[c].TokenIds);
                    Assert.Equal(recorded.Dimension, entry.Chunks[c].Vector.Length);
                    Assert.True(Embedders.Cosine(chunks[c].Vector, entry.Chunks[c].Vector) > 0.9999f, $"chunk {c} of '{entry.DocumentId}' differs from the new model's embedding");
                }
            }
        }

        Assert.Contains(("d3", LogOperation.Delete), operations);
        Assert.Equal(2, operations.Count(o => o.Item1 == "d4"));
        Assert.Equal(14, operations.Count);
    }

    [PostgresModelFact(TestModels.TinyRandomFolder)]
    public async Task A_new_model_rebuild_refuses_a_builder_without_a_model_and_a_document_stored_with_its_writers_vector()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        var v1 = new CollectionVersion("docs", 1, 1);
        SearchEngine router = await OpenAsync("router", Embedders.MiniLm);
        CollectionSettings old = (await router.CreateCollectionAsync(new CollectionDefinition { Name = v1.StoreName }).WaitAsync(Timeout)).Record.Settings;
        await log.SetSettingsAsync(v1, old).WaitAsync(Timeout);
        await log.SetAliasAsync(v1).WaitAsync(Timeout);
        float[] given = new float[old.Dimension];
        given[0] = 1;
        await log.AppendAsync(v1, 0, [LogEntry.Upsert("given", "", null, null, [new LogChunk(0, 0, [], given)])]).WaitAsync(Timeout);

        SearchEngine vectorsOnly = await OpenAsync("vectors-only", embedder: null);
        InvalidOperationException noModel = await Assert.ThrowsAsync<InvalidOperationException>(() => VersionRebuild.StageAsync(log, "docs", 1, new VersionRebuildOptions { ReembedWith = vectorsOnly })).WaitAsync(Timeout);
        Assert.Contains("KrSbert:ModelDirectory", noModel.Message, StringComparison.Ordinal);
        // Refused before staging: replicas follow nothing new.
        Assert.Empty(await log.StagedVersionsAsync().WaitAsync(Timeout));

        SearchEngine builder = await OpenAsync("builder", Embedders.TinyKrSbert);
        VersionRebuild rebuild = await VersionRebuild.StageAsync(log, "docs", 1, new VersionRebuildOptions { ReembedWith = builder }).WaitAsync(Timeout);
        // The re-embedder's local collection of the new version, which an abandoned rebuild removes.
        Assert.Contains(builder.ListCollections(), c => c.Name == rebuild.Target.StoreName);
        InvalidOperationException vector = await Assert.ThrowsAsync<InvalidOperationException>(() => rebuild.CopyAsync(batchSize: 10)).WaitAsync(Timeout);
        Assert.Contains("'given'", vector.Message, StringComparison.Ordinal);
        Assert.Equal(0, await log.HeadAsync(rebuild.Target, 0).WaitAsync(Timeout));

        // The builder abandons the refused rebuild: nothing of version 2 stays staged or stored, version 1 serves on.
        Assert.Equal([rebuild.Target.Version], (await log.StagedVersionsAsync().WaitAsync(Timeout)).Select(v => v.Version));
        Assert.Equal(0, await rebuild.AbandonAsync().WaitAsync(Timeout));
        Assert.Empty(await log.StagedVersionsAsync().WaitAsync(Timeout));
        // Only a shard head stays, without the log, so the number is not used again.
        Assert.Equal(["krs_shard_head"], (await VersionRows.CountAsync(database, rebuild.Target).WaitAsync(Timeout)).Keys);
        Assert.DoesNotContain(builder.ListCollections(), c => c.Name == rebuild.Target.StoreName);
        Assert.Equal(1, (await log.ReadAliasesAsync().WaitAsync(Timeout)).Resolve("docs").Version);
        Assert.Equal(1, await log.HeadAsync(v1, 0).WaitAsync(Timeout));
        Assert.Equal(old, await log.ReadSettingsAsync(v1).WaitAsync(Timeout));
    }

    private async Task<SearchEngine> OpenAsync(string name, Embedding.SentenceEmbedder? embedder)
    {
        SearchEngine engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = Path.Combine(_directory, name) }, embedder).WaitAsync(Timeout);
        _engines.Add(engine);
        return engine;
    }

    /// <summary>The documents as a router running <paramref name="engine"/>'s model logs them.</summary>
    private static async Task<List<LogEntry>> EmbeddedAsync(SearchEngine engine, CollectionVersion version, IReadOnlyList<DocumentInput> documents)
    {
        PreparedUpsert prepared = await engine.PrepareUpsertAsync(version.StoreName, documents).WaitAsync(Timeout);
        return [.. prepared.Documents.Cast<DocumentWrite.Upsert>().Select(d => LogEntry.Upsert(d.Id, d.Text, d.Metadata, engine.Embedder!.Model.Name, [.. d.Chunks.Select(c => new LogChunk(c.Start, c.End, c.TokenIds, c.Vector))]))];
    }
}
