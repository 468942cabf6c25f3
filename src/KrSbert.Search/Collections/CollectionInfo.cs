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
}
