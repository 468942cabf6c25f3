using System.Collections.Concurrent;
using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Search.Chunking;
using KrSbert.Search.Collections;
using KrSbert.Search.Indexing;
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
    private readonly DocumentStore _store;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, CollectionIndex> _collections = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly EmbeddingBatcher? _batcher;

    private SearchEngine(SearchEngineOptions options, SentenceEmbedder? embedder, EmbeddingBatcher? batcher, DocumentStore store, ILogger logger)
    {
        _options = options;
        Embedder = embedder;
        _batcher = batcher;
        _store = store;
        _logger = logger;
    }

    /// <summary>The model text is embedded with, or null for a vectors-only engine.</summary>
    public SentenceEmbedder? Embedder { get; }

    /// <summary>The store underneath (for tools and health checks).</summary>
    public DocumentStore Store => _store;

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
                CollectionIndex index = await Task.Run(() => CollectionIndex.Open(store, record, logger), cancellationToken).ConfigureAwait(false);
                engine._collections[record.Name] = index;
                engine.WarnOnModelMismatch(record);
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
        _collections[record.Name] = CollectionIndex.Open(_store, record, _logger);
        return Describe(_collections[record.Name]);
    }

    /// <summary>Deletes a collection and everything in it; false when it did not exist.</summary>
    public async Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_collections.TryGetValue(name, out CollectionIndex? collection))
        {
            return await _store.DeleteCollectionAsync(name, cancellationToken).ConfigureAwait(false);
        }

        await AwaitBackground(collection).ConfigureAwait(false);
        await collection.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            bool deleted = await _store.DeleteCollectionAsync(name, cancellationToken).ConfigureAwait(false);
            _collections.TryRemove(name, out _);
            collection.Dispose();
            return deleted;
        }
        finally
        {
            collection.WriteLock.Release();
        }
    }

    /// <summary>A collection's settings, counts and index state.</summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    public CollectionInfo GetCollection(string name) => Describe(Require(name));

    /// <summary>Every collection, by name.</summary>
    public IReadOnlyList<CollectionInfo> ListCollections() =>
        _collections.Values.OrderBy(c => c.Name, StringComparer.Ordinal).Select(Describe).ToList();

    /// <summary>Whether every collection is open (the engine opens them all before it is returned).</summary>
    public bool IsCollectionOpen(string name) => _collections.ContainsKey(name);

    /// <summary>Saves a snapshot of every collection with changes since its last one.</summary>
    public async Task SnapshotAllAsync(CancellationToken cancellationToken = default)
    {
        foreach (CollectionIndex collection in _collections.Values)
        {
            if (collection.AppliedSequence > collection.SnapshotSequence)
            {
                await SnapshotAsync(collection, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Rebuilds a collection's index from its stored vectors and publishes it (compacts removed entries).</summary>
    public async Task RebuildIndexAsync(string name, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        CollectionIndex collection = Require(name);
        await collection.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CollectionRecord record = _store.GetCollection(name) ?? throw new CollectionNotFoundException(name);
            Index.HnswIndex rebuilt = await Task.Run(() => CollectionIndex.Build(_store, record, _logger, progress), cancellationToken).ConfigureAwait(false);
            collection.Swap(rebuilt);
        }
        finally
        {
            collection.WriteLock.Release();
        }

        await SnapshotAsync(collection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for background work, snapshots what changed, and closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        foreach (CollectionIndex collection in _collections.Values)
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

        foreach (CollectionIndex collection in _collections.Values)
        {
            collection.Dispose();
        }

        _collections.Clear();
        _store.Dispose();
        _shutdown.Dispose();
    }

    private async Task SnapshotAsync(CollectionIndex collection, CancellationToken cancellationToken)
    {
        long sequence;
        byte[] bytes;
        int changes;
        await collection.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            changes = collection.ChangesSinceSnapshot;
            (sequence, bytes) = collection.Serialize();
        }
        finally
        {
            collection.WriteLock.Release();
        }

        var snapshot = await _store.SaveSnapshotAsync(collection.Name, sequence, bytes, cancellationToken).ConfigureAwait(false);
        collection.SnapshotSaved(snapshot, changes);
    }

    /// <summary>Starts a snapshot or a compacting rebuild in the background when one is due and none runs.</summary>
    private void ScheduleBackground(CollectionIndex collection)
    {
        if (collection.Background is { IsCompleted: false } || _shutdown.IsCancellationRequested)
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

        collection.Background = Task.Run(async () =>
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

    private static async Task AwaitBackground(CollectionIndex collection)
    {
        if (collection.Background is { } background)
        {
            await background.ConfigureAwait(false);
        }
    }

    private CollectionIndex Require(string name) =>
        _collections.TryGetValue(name, out CollectionIndex? collection) ? collection : throw new CollectionNotFoundException(name);

    private CollectionInfo Describe(CollectionIndex collection) => new(
        collection.Record,
        collection.Count,
        collection.RemovedCount,
        collection.AppliedSequence,
        collection.SnapshotSequence,
        collection.SnapshotAt,
        TextSearchable(collection.Record.Settings));

    /// <summary>Text can go into a collection when the running model is the one it was built with, at its dimension.</summary>
    private bool TextSearchable(CollectionSettings settings) =>
        Embedder is { CanEmbed: true } embedder
        && settings.ModelName == embedder.Model.Name
        && settings.Dimension == embedder.DimensionOf(PoolingModes.Parse(settings.Pooling));

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
        PoolingMode pooling = definition.Pooling is { } p && p != PoolingMode.None ? p : Embedder?.Model.Pooling ?? PoolingMode.Mean;
        int modelDimension = Embedder?.DimensionOf(pooling) ?? 0;
        int dimension = definition.Dimension ?? (modelDimension > 0
            ? modelDimension
            : throw new ArgumentException("dimension is required: no embedding model is loaded.", nameof(definition)));
        var settings = new CollectionSettings
        {
            ModelName = Embedder is { } embedder && dimension == modelDimension ? embedder.Model.Name : "vectors",
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
        };
        IndexSettings.Options(settings).Validate();
        return settings;
    }
}
