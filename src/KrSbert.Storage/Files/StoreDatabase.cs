using LiteDB;

namespace KrSbert.Storage.Files;

/// <summary>
/// One open LiteDB instance with the files under it. LiteDB 5.0.21 writes a commit's pages to its log file
/// (<c>krsbert-log.db</c>) with plain writes and never fsyncs them, so under <see cref="StoreDurability.Fsync"/>
/// the store opens both files itself, hands them to LiteDB as streams and fsyncs the log before acknowledging.
/// The files, their names and their contents are the same either way.
/// </summary>
internal sealed class StoreDatabase : IDisposable
{
    private readonly SyncedFileStream? _data;
    private readonly SyncedFileStream? _log;
    private readonly string _logPath;

    private StoreDatabase(LiteDatabase database, SyncedFileStream? data, SyncedFileStream? log, string logPath)
    {
        Database = database;
        _data = data;
        _log = log;
        _logPath = logPath;
    }

    /// <summary>The LiteDB instance.</summary>
    public LiteDatabase Database { get; }

    /// <summary>How often the log was fsynced (zero under <see cref="StoreDurability.Os"/>).</summary>
    public int LogFlushCount => _log?.FlushCount ?? 0;

    /// <summary>Opens the database file at <paramref name="path"/> (created when missing).</summary>
    public static StoreDatabase Open(string path, StoreDurability durability, Func<Exception?>? writeFault)
    {
        string logPath = LogPath(path);
        if (durability == StoreDurability.Os)
        {
            return new StoreDatabase(new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct, Upgrade = false }), null, null, logPath);
        }

        SyncedFileStream? data = null, log = null;
        try
        {
            data = new SyncedFileStream(path, writeFault);
            log = new SyncedFileStream(logPath, writeFault);
            return new StoreDatabase(new LiteDatabase(data, mapper: null, log), data, log, logPath);
        }
        catch
        {
            data?.Dispose();
            log?.Dispose();
            DeleteIfEmpty(logPath);
            throw;
        }
    }

    /// <summary>The log file LiteDB keeps beside <paramref name="path"/>: <c>krsbert.db</c> → <c>krsbert-log.db</c>.</summary>
    public static string LogPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + "-log" + Path.GetExtension(path));

    /// <summary>Puts every committed page of the log on disk; nothing to do under <see cref="StoreDurability.Os"/>.</summary>
    public void FlushLog() => _log?.Flush();

    /// <summary>Closes LiteDB (which checkpoints its log into the data file) and the files.</summary>
    public void Dispose()
    {
        try
        {
            Database.Dispose();
        }
        finally
        {
            _data?.Dispose();
            _log?.Dispose();
            if (_log is not null)
            {
                // LiteDB deletes an empty log only for files it opened itself; keep the folder as it leaves it.
                DeleteIfEmpty(_logPath);
            }
        }
    }

    private static void DeleteIfEmpty(string path)
    {
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length == 0)
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // A log left behind is harmless: LiteDB opens an empty log as no log.
        }
    }
}
