namespace KrSbert.Storage.Documents;

/// <summary>
/// One entry of a collection's change log, in sequence order: what an index built at an earlier sequence
/// must do to catch up (remove the document's previous chunks, then add its current ones if it still exists).
/// </summary>
public sealed record ChangeRecord(long Sequence, ChangeKind Kind, string DocumentId, long DocumentKey, int PreviousChunkCount, int ChunkCount);

/// <summary>What a change did.</summary>
public enum ChangeKind
{
    /// <summary>A document was inserted or replaced.</summary>
    Upsert = 1,

    /// <summary>A document was removed.</summary>
    Delete = 2,
}
