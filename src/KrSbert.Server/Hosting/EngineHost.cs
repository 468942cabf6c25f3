using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using KrSbert.Embedding;
using KrSbert.Embedding.Models;
using KrSbert.Search;
using KrSbert.Server.Metrics;
using KrSbert.Server.Options;
using KrSbert.Storage;
using Microsoft.Extensions.Options;

namespace KrSbert.Server.Hosting;

/// <summary>
/// Owns the model, the shared embedding batcher and the search engine for the server's lifetime. Opening
/// (model load, index snapshots, replay) runs in the background so the process answers health checks at
/// once: NOT_SERVING until every collection is open, then SERVING, overall and per collection.
/// The service <c>krsbert.store</c> says whether writes work: NOT_SERVING while the last write failed for lack
/// of space or an I/O error (reads still work), SERVING again once a write succeeds.
/// On shutdown it saves index snapshots and closes the store.
/// </summary>
public sealed class EngineHost(
    IOptions<ServerOptions> options,
    IOptions<ClusterOptions> cluster,
    HealthServiceImpl health,
    ServerMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers) : IHostedService, IDisposable
{
    /// <summary>The health service name that reports whether the store takes writes (no collection name has a dot).</summary>
    public const string StoreHealthService = "krsbert.store";

    /// <summary>
    /// The health service name that is SERVING whenever the process answers, opening included: what a liveness probe
    /// asks, while readiness asks the overall status (SERVING once every collection is open).
    /// </summary>
    public const string LiveHealthService = "krsbert.live";

    private readonly ILogger _logger = loggers.CreateLogger<EngineHost>();
    private Task? _opening;
    private SearchEngine? _engine;
    private SentenceEmbedder? _embedder;
    private EmbeddingBatcher? _batcher;
    private ServerStartException? _openFailure;

    /// <summary>The engine once open.</summary>
    /// <exception cref="RpcException">UNAVAILABLE while collections are still opening.</exception>
    public SearchEngine Engine => Volatile.Read(ref _engine) ?? throw new RpcException(new Status(StatusCode.Unavailable, "The server is opening its collections; retry shortly."));

    /// <summary>The model, once loaded.</summary>
    public SentenceEmbedder Embedder => Engine.Embedder!;

    /// <summary>The shared batcher for short texts.</summary>
    public EmbeddingBatcher Batcher => _batcher ?? throw new RpcException(new Status(StatusCode.Unavailable, "The server is opening its collections; retry shortly."));

    /// <summary>Why opening failed, when it is the operator's to fix (a model folder, a data folder in use); null otherwise.</summary>
    public ServerStartException? OpenFailure => Volatile.Read(ref _openFailure);

    /// <summary>Completes when the engine is open (or failed to open).</summary>
    public Task Ready => _opening ?? Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        health.SetStatus(LiveHealthService, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus("", HealthCheckResponse.Types.ServingStatus.NotServing);
        health.SetStatus(StoreHealthService, HealthCheckResponse.Types.ServingStatus.NotServing);
        _opening = Task.Run(() => OpenAsync(lifetime.ApplicationStopping), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        health.SetStatus(LiveHealthService, HealthCheckResponse.Types.ServingStatus.NotServing);
        health.SetStatus("", HealthCheckResponse.Types.ServingStatus.NotServing);
        health.SetStatus(StoreHealthService, HealthCheckResponse.Types.ServingStatus.NotServing);
        if (_opening is { } opening)
        {
            await opening.ConfigureAwait(false);
        }

        Log.ShuttingDown(_logger);
        if (_engine is { } engine)
        {
            foreach (var collection in engine.ListCollections())
            {
                health.SetStatus(collection.Name, HealthCheckResponse.Types.ServingStatus.NotServing);
            }

            Volatile.Write(ref _engine, null);
            engine.Store.WritesAvailableChanged -= OnWritesAvailableChanged;
            await engine.DisposeAsync().ConfigureAwait(false);
        }

        if (_batcher is { } batcher)
        {
            await batcher.DisposeAsync().ConfigureAwait(false);
        }

        _embedder?.Dispose();
    }

    /// <summary>Frees the model if the host never stopped cleanly.</summary>
    public void Dispose() => _embedder?.Dispose();

    /// <summary>Marks a collection's health after it is created or deleted.</summary>
    public void CollectionChanged(string name, bool exists) =>
        health.SetStatus(name, exists ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.ServiceUnknown);

    private async Task OpenAsync(CancellationToken stopping)
    {
        ServerOptions settings = options.Value;
        string? folder = null;
        bool loadingModel = true;
        try
        {
            // Spinning ONNX Runtime threads would take the cores from gRPC, HNSW and LiteDB between batches.
            var embedderOptions = new EmbedderOptions
            {
                MaxTextLength = settings.Limits.MaxTextLength,
                BatchSize = settings.EmbeddingBatchSize,
                Precision = Embedding.Models.ModelPrecisions.TryParse(settings.ModelPrecision, out var precision) ? precision : Embedding.Models.ModelPrecision.Fp32,
                OnnxRuntime = new Embedding.Inference.OnnxRuntimeOptions
                {
                    AllowSpinning = false,
                    GraphCacheDirectory = settings.ModelCache switch
                    {
                        null or "" => Path.Combine(settings.DataDirectory, "model-cache"),
                        { } off when off.Equals("off", StringComparison.OrdinalIgnoreCase) => null,
                        { } cache => cache,
                    },
                },
            };
            ILogger modelLogger = loggers.CreateLogger("KrSbert.Model");
            folder = settings.ModelDirectory is { Length: > 0 } configured ? configured
                : Directory.Exists(Path.Combine("models", "kr-sbert")) ? Path.Combine("models", "kr-sbert") : null;
            if (folder is null)
            {
                Log.EmbeddedModel(_logger, EmbeddedModel.Name);
            }

            _embedder = folder is null ? SentenceEmbedder.LoadDefault(embedderOptions, modelLogger) : SentenceEmbedder.LoadFolder(folder, embedderOptions, modelLogger);
            loadingModel = false;
            _batcher = new EmbeddingBatcher(_embedder, settings.EmbeddingBatchSize, TimeSpan.FromMilliseconds(settings.EmbeddingBatchWaitMilliseconds));
            _batcher.BatchCompleted += metrics.RecordEmbeddingBatch;
            var engineOptions = new SearchEngineOptions
            {
                DataDirectory = settings.DataDirectory,
                SnapshotEveryChanges = settings.SnapshotEveryChanges,
                MaxTopK = settings.Limits.MaxTopK,
                MaxDocumentsPerRequest = settings.Limits.MaxDocumentsPerRequest,
                DocumentLimits = new Search.Documents.DocumentLimits
                {
                    MaxTextLength = settings.Limits.MaxTextLength,
                    MaxMetadataKeys = settings.Limits.MaxMetadataKeys,
                    MaxMetadataKeyLength = settings.Limits.MaxMetadataKeyLength,
                    MaxMetadataValueLength = settings.Limits.MaxMetadataValueLength,
                    MaxMetadataBytes = settings.Limits.MaxMetadataBytes,
                },
                Durability = Options.ServerOptionsValidator.TryParseDurability(settings.Durability, out var durability) ? durability : Storage.StoreDurability.Fsync,
            };
            SearchEngine engine = await SearchEngine.OpenAsync(engineOptions, _embedder, loggers.CreateLogger("KrSbert.Search"), _batcher, stopping).ConfigureAwait(false);
            foreach (var collection in engine.ListCollections())
            {
                // A collection that could not open is NOT_SERVING under its name; the others serve.
                health.SetStatus(collection.Name, collection.State == Search.Collections.CollectionState.Ready
                    ? HealthCheckResponse.Types.ServingStatus.Serving
                    : HealthCheckResponse.Types.ServingStatus.NotServing);
            }

            Volatile.Write(ref _engine, engine);
            engine.Store.WritesAvailableChanged += OnWritesAvailableChanged;
            OnWritesAvailableChanged(engine.Store, EventArgs.Empty);
            // A shard replica is ready once it has caught up with its log (ClusterNode says so), not when its store opens.
            if (cluster.Value.ParsedRole != ClusterRole.Shard)
            {
                health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
            }

            Log.Serving(_logger, engine.ListCollections().Count, _embedder.Model.Name);
        }
        catch (StoreUnreadableException e)
        {
            // The message says what to do; a stack trace would bury it.
            Log.DatabaseUnreadable(_logger, e.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ServerStartException? failure = OpeningFailure.Describe(e, loadingModel, folder, settings.DataDirectory);
            if (failure is null)
            {
                Log.OpenFailed(_logger, e);
            }
            else
            {
                Log.OpenFailedBecause(_logger, failure.Message);
                Volatile.Write(ref _openFailure, failure);
            }

            Environment.ExitCode = failure?.ExitCode ?? 1;
            lifetime.StopApplication();
        }
    }

    private void OnWritesAvailableChanged(object? sender, EventArgs e)
    {
        var store = (Storage.IDocumentStore)sender!;
        bool available = store.WritesAvailable;
        health.SetStatus(StoreHealthService, available ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing);
        if (!available)
        {
            Log.StoreWritesUnavailable(_logger, store.Path);
        }
    }
}
