namespace KrSbert.Storage.Documents;

/// <summary>A document as stored.</summary>
public sealed record StoredDocument
{
    /// <summary>The client's id (at most 256 characters).</summary>
    public required string Id { get; init; }

    /// <summary>The store's key for it: chunk <c>i</c> is indexed as <see cref="DocumentKeys.ChunkKey"/>(Key, i).</summary>
    public required long Key { get; init; }

    /// <summary>The sequence number of the change that wrote it.</summary>
    public required long Sequence { get; init; }

    /// <summary>The text (empty for a bring-your-own-vector document).</summary>
    public required string Text { get; init; }

    /// <summary>String metadata for filters.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>The chunks, in text order (at least one).</summary>
    public required IReadOnlyList<StoredChunk> Chunks { get; init; }
}
