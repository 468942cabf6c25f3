namespace KrSbert.Search.Documents;

/// <summary>What an upsert stored: the ids written (generated ones included), failures, and the sequence reached.</summary>
public sealed record UpsertResult(IReadOnlyList<string> Ids, IReadOnlyList<DocumentFailure> Failures, long Sequence);
