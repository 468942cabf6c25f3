namespace KrSbert.Storage.Documents;

/// <summary>One operation of a batch: put a document (replacing one with the same id) or delete one.</summary>
public abstract record DocumentWrite(string Id)
{
    /// <summary>Insert or replace.</summary>
    public sealed record Upsert(string Id, string Text, IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<StoredChunk> Chunks) : DocumentWrite(Id);

    /// <summary>Remove; a missing id is not an error (the result says it was absent).</summary>
    public sealed record Delete(string Id) : DocumentWrite(Id);
}
