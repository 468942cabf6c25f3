namespace KrSbert.Storage.Documents;

/// <summary>What a committed batch changed, one <see cref="ChangeRecord"/> per operation that changed something.</summary>
public sealed record BatchResult(IReadOnlyList<ChangeRecord> Changes, long Sequence, int Deleted, int NotFound);
