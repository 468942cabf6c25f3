using System.Collections.Concurrent;
using KrSbert.Embedding;
using KrSbert.Embedding.Models;
using KrSbert.Embedding.Pooling;
using KrSbert.Search.Chunking;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Indexing;
using KrSbert.Search.Lexical;
using KrSbert.Storage;
using KrSbert.Storage.Collections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KrSbert.Search;

/// <summary>
/// The application layer both hosts share: collections over the store, ingest (chunk, embed, store, index),
/// queries (embed, search, filter, hydrate) and each index's lifecycle (open, replay, snapshot, rebuild).
/// </summary>
public sealed partial class SearchEngine : IAsyncDisposable
{
    private readonly SearchEngineOptions _options;
    private readonly IDocumentStore _store;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, OpenCollection> _collections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FailedCollection> _failed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _repairLock = new(1, 1);
    private readonly IReadOnlyList<IDerivedIndexKind> _indexKinds;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly EmbeddingBatcher? _batcher;
    private readonly DocumentRules _rules;

    private SearchEngine(SearchEngineOptions options, SentenceEmbedder? embedder, EmbeddingBatcher? batcher, IDocumentStore store, ILogger logger)
    {
        _options = options;
        Embedder = embedder;
        _batcher = batcher;
        _store = store;
        _logger = logger;
        _rules = new DocumentRules(options.DocumentLimits);
        _indexKinds = [new VectorIndex.Kind(logger), new LexicalIndex.Kind(logger)];
    }

    /// <summary>The model text is embedded with, or null for a vectors-only engine.</summary>
    public SentenceEmbedder? Embedder { get; }

    /// <summary>The store underneath (for tools and health checks).</summary>
    public IDocumentStore Store => _store;

    /// <summary>
    /// Opens the data folder and every collection's index (snapshot + replay, or rebuild). Query texts go
    /// through <paramref name="batcher"/> when given, so concurrent queries share ONNX Runtime calls.
    /// </summary>
    /// <exception cref="StoreLockedException">Another process holds the database.</exception>
    public static async Task<SearchEngine> OpenAsync(SearchEngineOptions options, SentenceEmbedder? embedder, ILogger? logger = null, EmbeddingBatcher? batcher = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;
        DocumentStore store = DocumentStore.Open(options.DatabasePath, new DocumentStoreOptions { Durability = options.Durability }, logger);
        var engine = new SearchEngine(options, embedder, batcher, store, logger);
        try
        {
            foreach (CollectionRecord record in store.ListCollections())
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    OpenCollection index = await Task.Run(() => OpenCollection.Open(store, record, engine._indexKinds, logger), cancellationToken).ConfigureAwait(false);
                    engine._collections[record.Name] = index;
                    engine.WarnOnModelMismatch(record);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One collection that cannot open (a bad change log, unreadable vectors) must not take the others down.
                    Log.CollectionFailed(logger, record.Name, e);
                    engine._failed[record.Name] = new FailedCollection(record, e.Message);
                }
            }
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return engine;
    }

    /// <summary>Creates a collection.</summary>
    /// <exception cref="ArgumentException">The name or a setting is invalid; the message names it.</exception>
    /// <exception cref="CollectionExistsException">The name is taken.</exception>
    public async Task<CollectionInfo> CreateCollectionAsync(CollectionDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        CollectionName.Validate(definition.Name);
        CollectionSettings settings = Settings(definition);
        CollectionRecord record = await _store.CreateCollectionAsync(definition.Name, settings, cancellationToken).ConfigureAwait(false);
        _collections[record.Name] = OpenCollection.Open(_store, record, _indexKinds, _logger);
        return Describe(_collections[record.Name]);
    }

    /// <summary>
    /// Creates a collection with settings another engine chose and recorded (a cluster version's), as they are: the
    /// model, its precision and the chunk window stay the recorded ones even where this engine runs another model, so
    /// such an engine refuses text for the collection (<see cref="CollectionMismatchException"/>) instead of embedding
    /// it with the wrong model, and a replica that only applies embedded rows holds the collection all the same.
    /// </summary>
    /// <exception cref="ArgumentException">The name or an index setting is invalid.</exception>
    /// <exception cref="CollectionExistsException">The name is taken.</exception>
    public async Task<CollectionInfo> CreateCollectionAsync(string name, CollectionSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        CollectionName.Validate(name);
        IndexSettings.Options(settings).Validate();
        new Bm25(settings.Bm25K1, settings.Bm25B).Validate();
        CollectionRecord record = await _store.CreateCollectionAsync(name, settings, cancellationToken).ConfigureAwait(false);
        _collections[record.Name] = OpenCollection.Open(_store, record, _indexKinds, _logger);
        return Describe(_collections[record.Name]);
    }

    /// <summary>Deletes a collection and everything in it; false when it did not exist.</summary>
    public async Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_collections.TryGetValue(name, out OpenCollection? collection))
        {
            bool existed = await _store.DeleteCollectionAsync(name, cancellationToken).ConfigureAwait(false);
            _failed.TryRemove(name, out _);
            return existed;
        }

        // Background work takes the lease itself, so it is awaited outside it; a writer may schedule more in between,
        // hence the loop: the collection is deleted only under the lease with no background work left.
        while (true)
        {
            await AwaitBackground(collection).ConfigureAwait(false);
            using CollectionLease lease = await collection.LockAsync(cancellationToken).ConfigureAwait(false);
            if (collection.Background is { IsCompleted: false })
            {
                continue;
            }

            bool deleted = await _store.DeleteCollectionAsync(name, cancellationToken).ConfigureAwait(false);
            _collections.TryRemove(name, out _);
            collection.Dispose();
            return deleted;
        }
    }

    /// <summary>A collection's settings, counts and index state; a collection that could not open says why.</summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    public CollectionInfo GetCollection(string name) =>
        _failed.TryGetValue(name, out FailedCollection? failed) ? Describe(failed) : Describe(Require(name));

    /// <summary>Every collection, by name, those that could not open included.</summary>
    public IReadOnlyList<CollectionInfo> ListCollections() =>
        _collections.Values.Select(Describe).Concat(_failed.Values.Select(Describe)).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

    /// <summary>Whether every collection is open (the engine opens them all before it is returned).</summary>
    public bool IsCollectionOpen(string name) => _collections.ContainsKey(name);

    /// <summary>Saves a snapshot of every collection with changes since its last one.</summary>
    public async Task SnapshotAllAsync(CancellationToken cancellationToken = default)
    {
        foreach (OpenCollection collection in _collections.Values)
        {
            if (collection.AppliedSequence > collection.SnapshotSequence)
            {
                await SnapshotAsync(collection, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Rebuilds a collection's index from its stored vectors and publishes it: compacts removed entries of an open
    /// collection, and repairs one that could not open (it then serves). Other collections serve meanwhile.
    /// </summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    public async Task<CollectionInfo> RebuildIndexAsync(string name, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_failed.ContainsKey(name))
        {
            return await RepairAsync(name, progress, cancellationToken).ConfigureAwait(false);
        }

        OpenCollection collection = Require(name);
        using (CollectionLease lease = await collection.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            CollectionRecord record = collection.Record;
            IReadOnlyList<IDerivedIndex> rebuilt = await Task.Run(() => OpenCollection.BuildIndexes(_store, record, _indexKinds, progress), cancellationToken).ConfigureAwait(false);
            collection.Swap(lease, rebuilt);
        }

        await SnapshotAsync(collection, cancellationToken).ConfigureAwait(false);
        return Describe(collection);
    }

    /// <summary>Opens a collection that failed to open from its stored documents and vectors alone, then serves it.</summary>
    private async Task<CollectionInfo> RepairAsync(string name, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await _repairLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_failed.ContainsKey(name))
            {
                // Another call repaired it while this one waited.
                return GetCollection(name);
            }

            CollectionRecord record = _store.GetCollection(name) ?? throw new CollectionNotFoundException(name);
            OpenCollection repaired;
            try
            {
                repaired = await Task.Run(() => OpenCollection.Rebuild(_store, record, _indexKinds, _logger, progress), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _failed[name] = new FailedCollection(record, $"the rebuild failed too: {e.Message}");
                throw new CollectionUnavailableException(name, $"the rebuild from stored vectors failed: {e.Message}; restore a backup (krsbert restore)");
            }

            await SnapshotAsync(repaired, cancellationToken).ConfigureAwait(false);
            _collections[name] = repaired;
            _failed.TryRemove(name, out _);
            WarnOnModelMismatch(record);
            return Describe(repaired);
        }
        finally
        {
            _repairLock.Release();
        }
    }

    /// <summary>Waits for background work, snapshots what changed, and closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        foreach (OpenCollection collection in _collections.Values)
        {
            await AwaitBackground(collection).ConfigureAwait(false);
        }

        try
        {
            await SnapshotAllAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StoreUnavailableException or IOException)
        {
            Log.BackgroundFailed(_logger, "*", e);
        }

        foreach (OpenCollection collection in _collections.Values)
        {
            collection.Dispose();
        }

        _collections.Clear();
        _store.Dispose();
        _shutdown.Dispose();
        _repairLock.Dispose();
    }

    private async Task SnapshotAsync(OpenCollection collection, CancellationToken cancellationToken)
    {
        long sequence;
        byte[] bytes;
        int changes;
        using (CollectionLease lease = await collection.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            changes = collection.ChangesSinceSnapshot;
            (sequence, bytes) = collection.Serialize(lease);
        }

        var snapshot = await _store.SaveSnapshotAsync(collection.Name, sequence, bytes, cancellationToken).ConfigureAwait(false);
        using (CollectionLease lease = await collection.LockAsync(CancellationToken.None).ConfigureAwait(false))
        {
            collection.SnapshotSaved(lease, snapshot, changes);
        }
    }

    /// <summary>
    /// Starts a snapshot or a compacting rebuild in the background when one is due and none runs. It is decided
    /// with the lease held, so at most one runs; the work itself waits for the lease once this holder lets go.
    /// </summary>
    private void ScheduleBackground(CollectionLease lease)
    {
        OpenCollection collection = lease.Collection;
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        long removed = collection.RemovedCount;
        bool rebuild = removed > 0 && removed > _options.RebuildRemovedShare * (collection.Count + removed);
        bool snapshot = collection.ChangesSinceSnapshot >= _options.SnapshotEveryChanges;
        if (!rebuild && !snapshot)
        {
            return;
        }

        collection.TrySchedule(lease, async () =>
        {
            try
            {
                if (rebuild)
                {
                    await RebuildIndexAsync(collection.Name, cancellationToken: _shutdown.Token).ConfigureAwait(false);
                }
                else
                {
                    await SnapshotAsync(collection, _shutdown.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
            {
                // Shutdown takes its own snapshot.
            }
            catch (Exception e)
            {
                Log.BackgroundFailed(_logger, collection.Name, e);
            }
        });
    }

    private static async Task AwaitBackground(OpenCollection collection)
    {
        if (collection.Background is { } background)
        {
            await background.ConfigureAwait(false);
        }
    }

    private OpenCollection Require(string name) =>
        _collections.TryGetValue(name, out OpenCollection? collection) ? collection
        : _failed.TryGetValue(name, out FailedCollection? failed) ? throw new CollectionUnavailableException(name, failed.Reason)
        : throw new CollectionNotFoundException(name);

    private CollectionInfo Describe(FailedCollection failed) =>
        new(failed.Record, 0, 0, failed.Record.Sequence, 0, null, TextSearchable(failed.Record.Settings))
        {
            State = CollectionState.Failed,
            StateReason = failed.Reason,
        };

    private CollectionInfo Describe(OpenCollection collection) => new(
        collection.Record,
        collection.Count,
        collection.RemovedCount,
        collection.AppliedSequence,
        collection.SnapshotSequence,
        collection.SnapshotAt,
        TextSearchable(collection.Record.Settings))
    {
        SkippedDocuments = collection.SkippedDocuments,
    };

    /// <summary>A collection that could not be opened, and why.</summary>
    private sealed record FailedCollection(CollectionRecord Record, string Reason);

    /// <summary>Text can go into a collection when the running model is the one it was built with, at its dimension and precision.</summary>
    private bool TextSearchable(CollectionSettings settings) =>
        Embedder is { CanEmbed: true } embedder
        && settings.ModelName == embedder.Model.Name
        && settings.Dimension == embedder.DimensionOf(PoolingModes.Parse(settings.Pooling))
        && settings.ModelPrecision == ModelPrecisions.Format(embedder.Precision);

    /// <summary>
    /// Refuses text for a collection built by this model at the other precision: int8 and fp32 vectors of one text
    /// differ, and mixing them in one index would rank by the difference.
    /// </summary>
    /// <exception cref="CollectionMismatchException">The precisions differ (field <c>model_precision</c>).</exception>
    private void RequireSamePrecision(CollectionSettings settings)
    {
        if (Embedder is { CanEmbed: true } embedder && settings.ModelName == embedder.Model.Name
            && settings.ModelPrecision != ModelPrecisions.Format(embedder.Precision))
        {
            throw new CollectionMismatchException("model_precision", $"the collection was built with model precision {settings.ModelPrecision}; this server runs {ModelPrecisions.Format(embedder.Precision)}: restart it with --model-precision {settings.ModelPrecision}, or send vectors");
        }
    }

    private void WarnOnModelMismatch(CollectionRecord record)
    {
        if (Embedder is { } embedder && !TextSearchable(record.Settings) && record.Settings.ModelName != "vectors")
        {
            Log.ModelMismatch(_logger, record.Name, record.Settings.ModelName, record.Settings.Pooling, embedder.Model.Name);
        }
    }

    private CollectionSettings Settings(CollectionDefinition definition)
    {
        int modelWindow = Embedder?.Model.Tokenizer.MaxSequenceLength ?? 128;
        ChunkingOptions chunking = definition.Chunking ?? new ChunkingOptions(modelWindow, Math.Min(32, modelWindow - 3));
        chunking.Validate(modelWindow);
        definition.Bm25.Validate();
        PoolingMode pooling = definition.Pooling is { } p && p != PoolingMode.None ? p : Embedder?.Model.Pooling ?? PoolingMode.Mean;
        int modelDimension = Embedder?.DimensionOf(pooling) ?? 0;
        int dimension = definition.Dimension ?? (modelDimension > 0
            ? modelDimension
            : throw new ArgumentException("dimension is required: no embedding model is loaded.", nameof(definition)));
        string serverPrecision = ModelPrecisions.Format(Embedder?.Precision ?? ModelPrecision.Fp32);
        if (definition.ModelPrecision is { } asked && ModelPrecisions.Format(asked) != serverPrecision)
        {
            throw new CollectionMismatchException("model_precision", $"is {ModelPrecisions.Format(asked)} but this server runs model precision {serverPrecision}: restart it with --model-precision {ModelPrecisions.Format(asked)}, or leave model_precision unset");
        }

        var settings = new CollectionSettings
        {
            ModelName = Embedder is { } embedder && dimension == modelDimension ? embedder.Model.Name : "vectors",
            ModelPrecision = serverPrecision,
            Dimension = dimension,
            Pooling = PoolingModes.Format(pooling),
            Normalize = definition.Normalize ?? Embedder?.Model.Normalize ?? false,
            Metric = IndexSettings.Name(definition.Metric),
            M = definition.M,
            EfConstruction = definition.EfConstruction,
            EfSearch = definition.EfSearch,
            IndexStorage = IndexSettings.Name(definition.IndexStorage),
            ChunkTokens = chunking.WindowTokens,
            ChunkOverlap = chunking.OverlapTokens,
            Bm25K1 = definition.Bm25.K1,
            Bm25B = definition.Bm25.B,
        };
        try
        {
            IndexSettings.Options(settings).Validate();
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName is { } name && DefinitionFields.TryGetValue(name, out string? field))
        {
            throw new ArgumentException($"{field}: {e.Message}", field, e);
        }

        return settings;
    }

    /// <summary>The index options' names as a collection definition (and the wire) calls them.</summary>
    private static readonly Dictionary<string, string> DefinitionFields = new(StringComparer.Ordinal)
    {
        [nameof(Index.HnswOptions.M)] = "m",
        [nameof(Index.HnswOptions.EfConstruction)] = "ef_construction",
        [nameof(Index.HnswOptions.EfSearch)] = "ef_search",
        [nameof(Index.HnswOptions.Dimensions)] = "dimension",
        [nameof(Index.HnswOptions.Storage)] = "index_storage",
        [nameof(Index.HnswOptions.Metric)] = "metric",
    };
}
