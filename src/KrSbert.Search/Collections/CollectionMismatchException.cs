namespace KrSbert.Search.Collections;

/// <summary>
/// The request does not fit the collection as built: a vector of another dimension, or text for a
/// collection built with another model or for vectors only. The field names what to fix.
/// </summary>
public sealed class CollectionMismatchException(string field, string message) : Exception(message)
{
    /// <summary>The request field at fault.</summary>
    public string Field { get; } = field;
}
