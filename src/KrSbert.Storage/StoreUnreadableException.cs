namespace KrSbert.Storage;

/// <summary>
/// LiteDB cannot read the database file (an overwritten header, a truncated or foreign file). The store cannot
/// repair it; the message names the file and says how to get a working one back.
/// </summary>
public sealed class StoreUnreadableException(string path, Exception inner)
    : Exception(
        $"The database {path} cannot be read ({inner.Message}). Stop the server and put the latest backup in place with "
        + $"`krsbert restore BACKUP_FILE --data {System.IO.Path.GetDirectoryName(path)}` (see README, 'Backup and restore'); "
        + "`krsbert rebuild` rebuilds indexes from this same file, so it cannot repair it.",
        inner)
{
    /// <summary>The database file.</summary>
    public string Path { get; } = path;
}
