namespace KrSbert.Cluster.WriteLog;

/// <summary>
/// An append to a version that neither serves its collection nor is staged (a rebuild flipped the alias away from
/// it, or the collection was deleted): nothing was written. The writer resolves the alias again and retries.
/// </summary>
public sealed class VersionNotWritableException : Exception
{
    /// <summary>A refused append to version <paramref name="version"/> of <paramref name="collection"/>.</summary>
    public VersionNotWritableException(string collection, long version, long? serving)
        : base(serving is { } current
            ? $"version {version} of '{collection}' takes no writes: version {current} serves and {version} is not staged after it; the collection's version changed, so resolve it again and retry."
            : $"version {version} of '{collection}' takes no writes: no version of '{collection}' serves (it was deleted, or never made).")
    {
        (Collection, Version, Serving) = (collection, version, serving);
    }

    /// <summary>A refused append.</summary>
    public VersionNotWritableException()
        : this("the write was refused: its version neither serves nor is staged.", null!)
    {
    }

    /// <summary>A refused append described by <paramref name="message"/>.</summary>
    public VersionNotWritableException(string message)
        : this(message, null!)
    {
    }

    /// <summary>A refused append described by <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public VersionNotWritableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Collection = "";
    }

    /// <summary>The collection written to.</summary>
    public string Collection { get; }

    /// <summary>The version the append named.</summary>
    public long Version { get; }

    /// <summary>The version serving when the append was refused, or null when none did.</summary>
    public long? Serving { get; }
}
