using KrSbert.Embedding;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;

namespace KrSbert.Search.Tests;

/// <summary>A real engine over a LiteDB file in a temporary folder.</summary>
public sealed class TemporaryEngine : IAsyncDisposable
{
    private readonly SentenceEmbedder? _embedder;
    private readonly int _snapshotEvery;
    private readonly DocumentLimits _limits;

    private TemporaryEngine(SentenceEmbedder? embedder, int snapshotEvery, DocumentLimits? limits)
    {
        _embedder = embedder;
        _snapshotEvery = snapshotEvery;
        _limits = limits ?? new DocumentLimits();
    }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "krsbert-engine-" + Guid.NewGuid().ToString("N"));

    public SearchEngine Engine { get; private set; } = null!;

    public static async Task<TemporaryEngine> StartAsync(SentenceEmbedder? embedder = null, int snapshotEvery = 10_000, DocumentLimits? limits = null)
    {
        var temp = new TemporaryEngine(embedder, snapshotEvery, limits);
        temp.Engine = await SearchEngine.OpenAsync(temp.Options(), embedder);
        return temp;
    }

    public SearchEngineOptions Options() => new() { DataDirectory = DataDirectory, SnapshotEveryChanges = _snapshotEvery, DocumentLimits = _limits };

    public async Task RestartAsync()
    {
        await Engine.DisposeAsync();
        Engine = await SearchEngine.OpenAsync(Options(), _embedder);
    }

    /// <summary>Opens the engine again after a test disposed it itself.</summary>
    public async Task RestartAsyncAfterDispose() => Engine = await SearchEngine.OpenAsync(Options(), _embedder);

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }

    public static float[] RandomVector(Random random, int dimension)
    {
        var vector = new float[dimension];
        for (int i = 0; i < dimension; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return vector;
    }

    public static DocumentInput VectorDocument(string id, float[] vector, string category = "a") =>
        new(id, $"text {id}", vector, new Dictionary<string, string> { ["category"] = category });

    public Task<CollectionInfo> CreateVectorCollectionAsync(string name = "vectors", int dimension = 8) =>
        Engine.CreateCollectionAsync(new CollectionDefinition { Name = name, Dimension = dimension });
}
