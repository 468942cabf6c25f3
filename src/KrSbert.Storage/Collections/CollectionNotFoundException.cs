namespace KrSbert.Storage.Collections;

/// <summary>No collection has that name.</summary>
public sealed class CollectionNotFoundException(string name) : Exception($"Collection '{name}' does not exist.")
{
    /// <summary>The name asked for.</summary>
    public string Name { get; } = name;
}
