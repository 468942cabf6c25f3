using KrSbert.Storage.Collections;

namespace KrSbert.Search.Collections;

/// <summary>A collection as users see it: its settings, counts and the state of its index.</summary>
public sealed record CollectionInfo(
    CollectionRecord Record,
    int IndexedVectors,
    long IndexRemovedEntries,
    long AppliedSequence,
    long SnapshotSequence,
    DateTime? SnapshotAt,
    bool TextSearchable)
{
    /// <summary>The collection's name.</summary>
    public string Name => Record.Name;

    /// <summary>Whether it serves.</summary>
    public CollectionState State { get; init; } = CollectionState.Ready;

    /// <summary>Why it does not serve, when <see cref="State"/> is <see cref="CollectionState.Failed"/>.</summary>
    public string? StateReason { get; init; }

    /// <summary>Stored documents the index refused since the collection opened or was rebuilt (data from an older version).</summary>
    public long SkippedDocuments { get; init; }
}
