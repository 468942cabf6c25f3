using KrSbert.Storage.Collections;

namespace KrSbert.Storage.Documents;

/// <summary>
/// What a committed batch changed: one <see cref="ChangeRecord"/> per operation that changed something, and for
/// each, the position of that operation in the batch (a delete of a missing id changes nothing and has none);
/// <see cref="Collection"/> is the collection's record as the batch left it.
/// </summary>
public sealed record BatchResult(IReadOnlyList<ChangeRecord> Changes, IReadOnlyList<int> OperationIndexes, long Sequence, int Deleted, int NotFound, CollectionRecord Collection);
