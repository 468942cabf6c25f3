namespace KrSbert.Cluster.WriteLog;

/// <summary>One document's change as the log keeps it: an upsert with everything a replica needs, or a tombstone.</summary>
public sealed record LogEntry
{
    private LogEntry(LogOperation operation, string documentId, string? text, IReadOnlyDictionary<string, string>? metadata, string? modelId, IReadOnlyList<LogChunk> chunks)
    {
        ArgumentException.ThrowIfNullOrEmpty(documentId);
        (Operation, DocumentId, Text, Metadata, ModelId, Chunks) = (operation, documentId, text, metadata, modelId, chunks);
    }

    /// <summary>Whether the row stores or removes its document.</summary>
    public LogOperation Operation { get; }

    /// <summary>The document's id; it decides the shard.</summary>
    public string DocumentId { get; }

    /// <summary>The document's text (null for a tombstone or a vector-only document).</summary>
    public string? Text { get; }

    /// <summary>The document's metadata (null for a tombstone).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; }

    /// <summary>The model that embedded the chunks (null for a tombstone or vectors the caller gave).</summary>
    public string? ModelId { get; }

    /// <summary>The embedded chunks, in text order (empty for a tombstone).</summary>
    public IReadOnlyList<LogChunk> Chunks { get; }

    /// <summary>An upsert of a document with at least one embedded chunk.</summary>
    /// <exception cref="ArgumentException">An empty id or no chunks.</exception>
    public static LogEntry Upsert(string documentId, string? text, IReadOnlyDictionary<string, string>? metadata, string? modelId, IReadOnlyList<LogChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0)
        {
            throw new ArgumentException($"document '{documentId}' has no chunks; an upsert carries at least one embedded chunk.", nameof(chunks));
        }

        return new(LogOperation.Upsert, documentId, text, metadata ?? new Dictionary<string, string>(), modelId, chunks);
    }

    /// <summary>A tombstone for <paramref name="documentId"/>.</summary>
    /// <exception cref="ArgumentException">An empty id.</exception>
    public static LogEntry Delete(string documentId) => new(LogOperation.Delete, documentId, null, null, null, []);

    /// <summary>Rebuilds an entry read back from the log.</summary>
    internal static LogEntry Read(LogOperation operation, string documentId, string? text, IReadOnlyDictionary<string, string>? metadata, string? modelId, IReadOnlyList<LogChunk> chunks) =>
        new(operation, documentId, text, metadata, modelId, chunks);
}
