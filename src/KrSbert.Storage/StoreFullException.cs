namespace KrSbert.Storage;

/// <summary>
/// The data folder's file system has no space left. Reads keep working, and writes succeed again once there is
/// space, without a restart. Usually the write was not stored; when only the flush of a committed write failed,
/// it is not confirmed either way.
/// </summary>
public sealed class StoreFullException(string dataDirectory, Exception inner, bool confirmed = true)
    : StoreUnavailableException(
        confirmed
            ? $"The data folder {dataDirectory} is full (no space left on device); the write was not stored. Free space or grow the volume and retry."
            : $"The data folder {dataDirectory} is full (no space left on device) and the write could not be confirmed on disk: it may be stored. Free space or grow the volume and retry it.",
        inner)
{
    /// <summary>The data folder that is full.</summary>
    public string DataDirectory { get; } = dataDirectory;
}
