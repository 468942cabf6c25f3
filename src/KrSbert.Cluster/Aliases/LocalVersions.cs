using KrSbert.Cluster.WriteLog;
using KrSbert.Embedding.Pooling;
using KrSbert.Index;
using KrSbert.Search;
using KrSbert.Search.Chunking;
using KrSbert.Search.Collections;
using KrSbert.Search.Lexical;
using KrSbert.Storage.Collections;

namespace KrSbert.Cluster.Aliases;

/// <summary>
/// The local collection a node keeps for a collection version (a replica's shard, a router's embedder), created
/// with the settings the version was created with through the router, so a replica scores with the version's
/// metric and BM25 parameters and chunks as the router did, not with the defaults.
/// </summary>
public static class LocalVersions
{
    /// <summary>Creates <paramref name="version"/>'s local collection from its recorded settings when the engine lacks it.</summary>
    /// <exception cref="Npgsql.NpgsqlException">PostgreSQL cannot be reached.</exception>
    public static async Task EnsureAsync(SearchEngine engine, PostgresWriteLog log, CollectionVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(version);
        if (engine.ListCollections().Any(c => c.Name == version.StoreName))
        {
            return;
        }

        CollectionSettings? settings = await log.ReadSettingsAsync(version, cancellationToken).ConfigureAwait(false);
        try
        {
            if (settings is null)
            {
                await engine.CreateCollectionAsync(Definition(version.StoreName, settings), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Checked as a definition first (a metric or storage this version does not know fails naming it), then
                // created as recorded: a version rebuilt with another model keeps that model's name, precision and
                // chunk window, so a router running another model refuses its text instead of embedding it wrongly.
                _ = Definition(version.StoreName, settings);
                await engine.CreateCollectionAsync(version.StoreName, settings, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (CollectionExistsException)
        {
            // Another request or the alias poll made it first.
        }
    }

    /// <summary>
    /// The definition that recreates <paramref name="settings"/> under <paramref name="name"/>; with no settings,
    /// the defaults. The model and its precision are the creating engine's (<see cref="EnsureAsync"/> keeps the
    /// recorded ones instead).
    /// </summary>
    /// <exception cref="InvalidDataException">A metric or index storage name this version does not know.</exception>
    public static CollectionDefinition Definition(string name, CollectionSettings? settings)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (settings is null)
        {
            return new CollectionDefinition { Name = name };
        }

        return new CollectionDefinition
        {
            Name = name,
            Metric = settings.Metric switch
            {
                "cosine" => VectorMetric.Cosine,
                "inner_product" => VectorMetric.InnerProduct,
                "l2" => VectorMetric.L2,
                _ => throw new InvalidDataException($"Unknown metric '{settings.Metric}' in the recorded settings of '{name}'."),
            },
            Pooling = PoolingModes.Parse(settings.Pooling),
            Normalize = settings.Normalize,
            Dimension = settings.Dimension,
            M = settings.M,
            EfConstruction = settings.EfConstruction,
            EfSearch = settings.EfSearch,
            IndexStorage = Enum.TryParse(settings.IndexStorage, ignoreCase: true, out VectorStorage storage)
                ? storage
                : throw new InvalidDataException($"Unknown index storage '{settings.IndexStorage}' in the recorded settings of '{name}'."),
            Chunking = new ChunkingOptions(settings.ChunkTokens, settings.ChunkOverlap),
            Bm25 = new Bm25(settings.Bm25K1, settings.Bm25B),
        };
    }
}
