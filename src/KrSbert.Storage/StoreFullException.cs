namespace KrSbert.Storage;

/// <summary>
/// The data folder's file system has no space left; the write was not stored. Reads keep working, and writes
/// succeed again once there is space, without a restart.
/// </summary>
public sealed class StoreFullException(string dataDirectory, Exception inner)
    : StoreUnavailableException($"The data folder {dataDirectory} is full (no space left on device); the write was not stored. Free space or grow the volume and retry.", inner)
{
    /// <summary>The data folder that is full.</summary>
    public string DataDirectory { get; } = dataDirectory;
}
