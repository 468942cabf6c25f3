namespace KrSbert.Storage.Backups;

/// <summary>A file offered for restore is not a readable KrSbert database of this schema, or does not match its checksum; nothing was changed.</summary>
public sealed class InvalidBackupException(string path, string reason, Exception? inner = null)
    : Exception($"{path} is not a usable KrSbert backup: {reason}. Nothing was changed.", inner)
{
    /// <summary>The file offered for restore.</summary>
    public string Path { get; } = path;
}
