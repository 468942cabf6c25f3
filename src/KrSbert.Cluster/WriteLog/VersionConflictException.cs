namespace KrSbert.Cluster.WriteLog;

/// <summary>A version staged twice, or an alias flip from a version that no longer serves (another rebuild went first).</summary>
public sealed class VersionConflictException : Exception
{
    /// <summary>A conflict described by <paramref name="message"/>.</summary>
    public VersionConflictException(string message)
        : base(message)
    {
    }

    /// <summary>A conflict with no description.</summary>
    public VersionConflictException()
    {
    }

    /// <summary>A conflict described by <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public VersionConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
