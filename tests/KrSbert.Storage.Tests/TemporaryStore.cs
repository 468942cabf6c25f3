using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Storage.Tests;

/// <summary>A real LiteDB file in a temporary folder, deleted afterwards.</summary>
public sealed class TemporaryStore : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "krsbert-store-" + Guid.NewGuid().ToString("N"));
    private bool _closed;

    public TemporaryStore(DocumentStoreOptions? options = null) => Store = DocumentStore.Open(FilePath, options ?? new DocumentStoreOptions());

    public string FilePath => Path.Combine(_folder, "krsbert.db");

    public DocumentStore Store { get; private set; }

    public static CollectionSettings Settings(int dimension = 4) => new()
    {
        ModelName = "test-model",
        Dimension = dimension,
        Pooling = "mean",
        Normalize = false,
        Metric = "cosine",
        M = 16,
        EfConstruction = 200,
        EfSearch = 64,
        IndexStorage = "f32",
        ChunkTokens = 128,
        ChunkOverlap = 32,
    };

    public static DocumentWrite.Upsert Document(string id, params float[][] vectors) => new(
        id,
        $"text of {id}",
        new Dictionary<string, string> { ["source"] = "test", ["id"] = id },
        vectors.Select((v, i) => new StoredChunk(i * 10, (i * 10) + 10, [2, 100 + i, 3], v)).ToArray());

    /// <summary>Closes the store (the file stays) for tests that work on the closed file; <see cref="Reopen"/> opens it again.</summary>
    public void Close()
    {
        if (!_closed)
        {
            Store.Dispose();
            _closed = true;
        }
    }

    public void Reopen(DocumentStoreOptions? options = null)
    {
        DocumentStoreOptions reopen = options ?? new DocumentStoreOptions { Durability = Store.Durability };
        Close();
        Store = DocumentStore.Open(FilePath, reopen);
        _closed = false;
    }

    public void Dispose()
    {
        Close();
        Directory.Delete(_folder, recursive: true);
    }
}
