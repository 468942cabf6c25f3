namespace KrSbert.Storage.Collections;

/// <summary>A collection as stored: its settings, counters and the snapshot its index was last saved to.</summary>
public sealed record CollectionRecord
{
    /// <summary>The user's name for it.</summary>
    public required string Name { get; init; }

    /// <summary>The store's number for it; names its LiteDB collections.</summary>
    public required int Number { get; init; }

    /// <summary>What it is built with.</summary>
    public required CollectionSettings Settings { get; init; }

    /// <summary>When it was created (UTC).</summary>
    public required DateTime CreatedAt { get; init; }

    /// <summary>The last change's sequence number (0 before any change). Upserts and deletes both advance it.</summary>
    public required long Sequence { get; init; }

    /// <summary>Documents stored.</summary>
    public required long DocumentCount { get; init; }

    /// <summary>Chunks (indexed vectors) stored.</summary>
    public required long ChunkCount { get; init; }

    /// <summary>The next document key to hand out.</summary>
    public required long NextDocumentKey { get; init; }

    /// <summary>The published index snapshot's generation, or 0 when none was saved.</summary>
    public required long SnapshotGeneration { get; init; }

    /// <summary>
    /// The last sequence of an outside ordered source (a cluster shard's write log) applied to this collection, 0 when
    /// none: committed with each source batch, so applying a batch again changes nothing.
    /// </summary>
    public long SourceSequence { get; init; }
}
