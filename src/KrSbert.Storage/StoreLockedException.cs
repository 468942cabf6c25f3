namespace KrSbert.Storage;

/// <summary>The database file is held by another process (a running server, say); LiteDB opens a file once.</summary>
public sealed class StoreLockedException(string path, Exception inner)
    : Exception($"The database {path} is in use by another process (is a server running on this data folder?). Stop it and try again.", inner)
{
    /// <summary>The database file.</summary>
    public string Path { get; } = path;
}
