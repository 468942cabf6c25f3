namespace KrSbert.Search.Collections;

/// <summary>A collection that could not be opened was called; the message names it, the cause and the repair.</summary>
public sealed class CollectionUnavailableException(string collection, string reason)
    : Exception($"Collection '{collection}' is not serving: it could not be opened ({reason}). Repair it online with Collections.Rebuild (`krsbert rebuild --server ADDRESS --collection {collection}`), or offline with `krsbert rebuild --data DIR --collection {collection}` while the server is stopped.")
{
    /// <summary>The collection.</summary>
    public string Collection { get; } = collection;

    /// <summary>Why it could not be opened.</summary>
    public string Reason { get; } = reason;
}
