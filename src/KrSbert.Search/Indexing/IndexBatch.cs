using KrSbert.Storage.Documents;

namespace KrSbert.Search.Indexing;

/// <summary>A batch the store committed: what changed, with the documents it wrote still in memory.</summary>
internal sealed record IndexBatch(BatchResult Result, IReadOnlyList<DocumentWrite> Writes)
{
    /// <summary>The batch's last sequence number.</summary>
    public long Sequence => Result.Sequence;

    /// <summary>Each change in order, with the upsert that made it (null for a delete).</summary>
    public IEnumerable<(ChangeRecord Change, DocumentWrite.Upsert? Upsert)> Changes =>
        Result.Changes.Select((change, i) => (change, Writes[Result.OperationIndexes[i]] as DocumentWrite.Upsert));
}
