using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Cluster.WriteLog;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Storage.Collections;
using Npgsql;

namespace KrSbert.Cluster.Tests.Aliases;

/// <summary>A version's settings, recorded in PostgreSQL by the router's Create, make every node's local collection alike.</summary>
[Collection(PostgresTests.Name)]
public sealed class LocalVersionsTests(PostgresCluster cluster) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "krsbert-localversions-" + Guid.NewGuid().ToString("N"));
    private SearchEngine _engine = null!;

    internal static CollectionSettings Recorded => new()
    {
        ModelName = "vectors",
        Dimension = 3,
        Pooling = "mean",
        Normalize = false,
        Metric = "inner_product",
        M = 24,
        EfConstruction = 120,
        EfSearch = 48,
        IndexStorage = "f16",
        ChunkTokens = 64,
        ChunkOverlap = 8,
        Bm25K1 = 1.7,
        Bm25B = 0.6,
    };

    public async Task InitializeAsync() =>
        _engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = _directory }, embedder: null).WaitAsync(Timeout);

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [PostgresFact]
    public async Task Settings_read_back_per_version_as_recorded_and_a_version_without_any_reads_null()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        var v1 = new CollectionVersion("docs", 1, 2);
        await log.SetSettingsAsync(v1, Recorded with { Metric = "l2" }).WaitAsync(Timeout);
        await log.SetSettingsAsync(v1, Recorded).WaitAsync(Timeout);

        Assert.Equal(Recorded, await log.ReadSettingsAsync(v1).WaitAsync(Timeout));
        Assert.Null(await log.ReadSettingsAsync(new CollectionVersion("docs", 2, 2)).WaitAsync(Timeout));
    }

    [PostgresFact]
    public async Task A_local_collection_is_created_with_the_versions_recorded_settings_and_with_the_defaults_when_none_were_recorded()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        var recorded = new CollectionVersion("docs", 1, 2);
        await log.SetSettingsAsync(recorded, Recorded).WaitAsync(Timeout);

        await LocalVersions.EnsureAsync(_engine, log, recorded).WaitAsync(Timeout);
        // A second call (the alias poll after a request made it) leaves it as it is.
        await LocalVersions.EnsureAsync(_engine, log, recorded).WaitAsync(Timeout);

        Assert.Equal(Recorded, _engine.GetCollection(recorded.StoreName).Record.Settings);
        // No settings and no model: the defaults need a model for the dimension, so the engine refuses as a plain create would.
        await Assert.ThrowsAsync<ArgumentException>(() => LocalVersions.EnsureAsync(_engine, log, new CollectionVersion("other", 1, 2))).WaitAsync(Timeout);
        Assert.Equal(new CollectionDefinition { Name = "other__v1" }, LocalVersions.Definition("other__v1", null));
    }

    [PostgresFact]
    public async Task A_local_collection_keeps_a_recorded_model_and_precision_this_engine_does_not_run()
    {
        await using NpgsqlDataSource database = await cluster.CreateDatabaseAsync().WaitAsync(Timeout);
        PostgresWriteLog log = await PostgresWriteLog.OpenAsync(database).WaitAsync(Timeout);
        var rebuilt = new CollectionVersion("docs", 2, 3);
        // A version a builder re-embedded with a model (and precision) this vectors-only engine does not run.
        CollectionSettings other = Recorded with { ModelName = "kr-sbert-tiny", ModelPrecision = "int8", ChunkTokens = 500, ChunkOverlap = 40 };
        await log.SetSettingsAsync(rebuilt, other).WaitAsync(Timeout);

        await LocalVersions.EnsureAsync(_engine, log, rebuilt).WaitAsync(Timeout);

        Assert.Equal(other, _engine.GetCollection(rebuilt.StoreName).Record.Settings);
        Assert.False(_engine.GetCollection(rebuilt.StoreName).TextSearchable);
    }

    [Fact]
    public void Settings_naming_an_unknown_metric_or_storage_fail_with_the_version_named()
    {
        InvalidDataException metric = Assert.Throws<InvalidDataException>(() => LocalVersions.Definition("docs__v1", Recorded with { Metric = "hamming" }));
        InvalidDataException storage = Assert.Throws<InvalidDataException>(() => LocalVersions.Definition("docs__v1", Recorded with { IndexStorage = "b1" }));

        Assert.Contains("'hamming'", metric.Message, StringComparison.Ordinal);
        Assert.Contains("'docs__v1'", storage.Message, StringComparison.Ordinal);
    }
}
