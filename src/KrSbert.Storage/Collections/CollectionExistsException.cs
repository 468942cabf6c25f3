namespace KrSbert.Storage.Collections;

/// <summary>A collection with that name exists already.</summary>
public sealed class CollectionExistsException(string name) : Exception($"Collection '{name}' already exists.")
{
    /// <summary>The name asked for.</summary>
    public string Name { get; } = name;
}
