using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using KrSbert.Storage.Backups;
using KrSbert.Storage.Collections;
using LiteDB;

namespace KrSbert.Storage;

public sealed partial class DocumentStore
{
    private const int BackupChunkSize = 1 << 20;

    // LiteDB's default: checkpoint once the log passes 1000 pages (8 MiB).
    private const int DefaultCheckpointPages = 1000;

    /// <summary>
    /// Held while a backup copies the data file. LiteDB writes the data file only when it checkpoints (commits go
    /// to the log file), so with checkpoints held the data file stays exactly as the backup's checkpoint left it.
    /// </summary>
    private readonly SemaphoreSlim _checkpointHold = new(1, 1);

    /// <summary>
    /// Copies a consistent image of the database to <paramref name="write"/> in chunks while reads and writes go on.
    /// On the writer thread the log is checkpointed into the data file and LiteDB's automatic checkpoints are turned
    /// off; the data file is then copied off the writer thread while new commits collect in the log; afterwards
    /// checkpoints are turned back on. Writes wait only for that checkpoint, never for the copy, whatever its size.
    /// </summary>
    /// <param name="write">Receives the bytes in order; the memory is reused after the call returns.</param>
    /// <param name="cancellationToken">Stops the copy; the database is left as it was.</param>
    /// <returns>The size, SHA-256, time and collections of the copy.</returns>
    /// <exception cref="StoreUnavailableException">The database failed while the copy was being fixed.</exception>
    public async Task<StoreBackup> BackupAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        await _checkpointHold.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long started = Stopwatch.GetTimestamp();
            // Up to a full log (LiteDB's threshold, 8 MiB) is checkpointed first as its own step, the same pause as an
            // automatic checkpoint; writes queued meanwhile run before the short second step that fixes the file.
            TimeSpan emptying = await _writer.RunAsync(CheckpointForBackup, cancellationToken).ConfigureAwait(false);
            (int checkpointPages, long length, DateTime takenAt, IReadOnlyList<CollectionRecord> collections, TimeSpan holding) =
                await _writer.RunAsync(HoldCheckpoints, cancellationToken).ConfigureAwait(false);
            TimeSpan releasing;
            string sha256;
            try
            {
                sha256 = await CopyDataFileAsync(length, write, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // The copy is done (or abandoned); the log goes back to being checkpointed at the next commit past the threshold.
                releasing = await _writer.RunAsync(() => ReleaseCheckpoints(checkpointPages), CancellationToken.None).ConfigureAwait(false);
                Log.BackupCopied(_logger, _path, length, Stopwatch.GetElapsedTime(started).TotalMilliseconds, Longest(emptying, holding, releasing).TotalMilliseconds);
            }

            return new StoreBackup(length, sha256, takenAt, collections, Longest(emptying, holding, releasing));
        }
        finally
        {
            _checkpointHold.Release();
        }
    }

    /// <summary>Copies a consistent image of the database to <paramref name="destination"/>; see the other overload.</summary>
    public Task<StoreBackup> BackupAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return BackupAsync((chunk, token) => destination.WriteAsync(chunk, token), cancellationToken);
    }

    /// <summary>
    /// Puts the backup <paramref name="backupFile"/> in place as the database <paramref name="databasePath"/>, with no
    /// process holding it. The backup is copied next to the database and checked first (its SHA-256 when
    /// <paramref name="expectedSha256"/> is given, then that LiteDB reads it and it carries this build's schema with
    /// consistent counts); only then is the current database (and its log) moved aside and the copy renamed into place.
    /// </summary>
    /// <exception cref="StoreLockedException">A running server holds the database; nothing was changed.</exception>
    /// <exception cref="InvalidBackupException">The file fails a check; nothing was changed.</exception>
    /// <exception cref="FileNotFoundException">There is no <paramref name="backupFile"/>.</exception>
    public static RestoredStore Restore(string backupFile, string databasePath, string? expectedSha256 = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backupFile);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        string source = System.IO.Path.GetFullPath(backupFile);
        string target = System.IO.Path.GetFullPath(databasePath);
        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"There is no backup file {source}.", source);
        }

        string directory = System.IO.Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        using FileStream fileLock = Lock(target);

        // A unique name in the target folder: the rename into place stays on one file system, and no stale
        // LiteDB log can pair with it while it is checked.
        string staging = System.IO.Path.Combine(directory, $".restore-{Guid.NewGuid():N}.db");
        try
        {
            string sha256 = CopyForRestore(source, staging);
            if (expectedSha256 is not null && !string.Equals(sha256, expectedSha256.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidBackupException(source, $"its SHA-256 is {sha256}, the checksum says {expectedSha256.Trim()}");
            }

            IReadOnlyList<CollectionRecord> collections = CheckBackup(source, staging);
            string? keptAside = null;
            string log = Files.StoreDatabase.LogPath(target);
            if (File.Exists(target) || File.Exists(log))
            {
                string stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
                // Named so LiteDB pairs the kept database with its kept log if someone opens it again.
                keptAside = System.IO.Path.Combine(directory, $"{System.IO.Path.GetFileNameWithoutExtension(target)}.before-restore-{stamp}{System.IO.Path.GetExtension(target)}");
                if (File.Exists(target))
                {
                    File.Move(target, keptAside);
                }

                if (File.Exists(log))
                {
                    File.Move(log, Files.StoreDatabase.LogPath(keptAside));
                }
            }

            try
            {
                File.Move(staging, target);
            }
            catch (IOException) when (keptAside is not null && File.Exists(keptAside) && !File.Exists(target))
            {
                // Put the old database back rather than leave the folder without one.
                File.Move(keptAside, target);
                if (File.Exists(Files.StoreDatabase.LogPath(keptAside)))
                {
                    File.Move(Files.StoreDatabase.LogPath(keptAside), log);
                }

                throw;
            }

            return new RestoredStore(target, keptAside, collections);
        }
        finally
        {
            File.Delete(staging);
        }
    }

    private static TimeSpan Longest(params ReadOnlySpan<TimeSpan> pauses)
    {
        TimeSpan longest = TimeSpan.Zero;
        foreach (TimeSpan pause in pauses)
        {
            longest = pause > longest ? pause : longest;
        }

        return longest;
    }

    /// <summary>Runs on the writer thread.</summary>
    private TimeSpan CheckpointForBackup()
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            Writable().Checkpoint();
        }
        catch (Exception e) when (e is not StoreUnavailableException)
        {
            throw Fail(e);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Runs on the writer thread: fixes the data file's content and stops LiteDB from changing it.</summary>
    private (int CheckpointPages, long Length, DateTime TakenAt, IReadOnlyList<CollectionRecord> Collections, TimeSpan WriterPause) HoldCheckpoints()
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            LiteDatabase db = Writable();
            // The checkpoint writes every committed page into the data file and flushes it to disk (LiteDB 5.0.21
            // writes the log synchronously and WriteDataDisk ends with a flush), and empties the log. Turning the
            // automatic checkpoint off afterwards is itself a commit, so it lands in the log, not the copied file.
            db.Checkpoint();
            DateTime takenAt = DateTime.UtcNow;
            IReadOnlyList<CollectionRecord> collections = db.GetCollection(StoreSchema.Collections).FindAll().Select(StoreSchema.ToCollection).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            long length = new FileInfo(_path).Length;
            int pages = db.CheckpointSize;
            db.CheckpointSize = 0;
            return (pages > 0 ? pages : DefaultCheckpointPages, length, takenAt, collections, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is not StoreUnavailableException)
        {
            throw Fail(e);
        }
    }

    /// <summary>Runs on the writer thread (on whichever instance is current after a reopen).</summary>
    private TimeSpan ReleaseCheckpoints(int checkpointPages)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            Writable().CheckpointSize = checkpointPages;
        }
        catch (StoreUnavailableException)
        {
            // The store is closed after a failure; the next open turns checkpoints back on.
        }
        catch (Exception e)
        {
            // The reopened instance reads the setting from the log; the next open turns checkpoints back on.
            _ = Fail(e);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    private async Task<string> CopyDataFileAsync(long length, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[BackupChunkSize];
        var options = new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        };
        await using var source = new FileStream(_path, options);
        long copied = 0;
        while (copied < length)
        {
            int read;
            try
            {
                read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - copied)), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new StoreUnavailableException($"The backup could not read the database {_path} ({e.Message}); nothing was changed. Retry.", e);
            }

            if (read == 0)
            {
                throw new StoreUnavailableException($"The database {_path} ended at {copied} bytes while a backup of {length} bytes was copied; nothing was changed. Retry.");
            }

            hash.AppendData(buffer, 0, read);
            await write(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            copied += read;
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Copies the backup to <paramref name="staging"/>, flushed to disk, and returns its SHA-256 (lowercase hex).</summary>
    private static string CopyForRestore(string source, string staging)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[BackupChunkSize];
        using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        using (var output = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            int read;
            while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                output.Write(buffer, 0, read);
            }

            output.Flush(flushToDisk: true);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Opens the staged copy read-only and checks it is a database this build reads, with counts that agree.</summary>
    private static List<CollectionRecord> CheckBackup(string source, string staging)
    {
        long length = new FileInfo(staging).Length;
        // LiteDB would initialise an empty file as a new database, and its pages are 8 KiB.
        if (length == 0 || length % 8192 != 0)
        {
            throw new InvalidBackupException(source, $"its size ({length} bytes) is not a whole number of 8 KiB LiteDB pages");
        }

        try
        {
            using var db = new LiteDatabase(new ConnectionString { Filename = staging, Connection = ConnectionType.Direct, ReadOnly = true, Upgrade = false });
            BsonDocument schema = db.GetCollection(StoreSchema.Meta).FindById("schema")
                ?? throw new InvalidBackupException(source, "it is a LiteDB file without a KrSbert schema record");
            int version = schema["version"].AsInt32;
            if (version != StoreSchema.Version)
            {
                throw new InvalidBackupException(source, $"it has schema version {version}; this build reads version {StoreSchema.Version}");
            }

            var collections = db.GetCollection(StoreSchema.Collections).FindAll().Select(StoreSchema.ToCollection).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            foreach (CollectionRecord collection in collections)
            {
                long documents = db.GetCollection(StoreSchema.Documents(collection.Number)).LongCount();
                if (documents != collection.DocumentCount)
                {
                    throw new InvalidBackupException(source, $"collection '{collection.Name}' records {collection.DocumentCount} documents but holds {documents}");
                }
            }

            return collections;
        }
        catch (Exception e) when (IsUnreadable(e) || e is InvalidOperationException)
        {
            throw new InvalidBackupException(source, $"LiteDB cannot read it ({e.Message})", e);
        }
    }

    /// <summary>
    /// A backup interrupted by a crash leaves automatic checkpoints off in the log's copy of the header; without
    /// this the log would grow without bound from the next start on.
    /// </summary>
    private static void ResumeCheckpoints(LiteDatabase database)
    {
        if (database.CheckpointSize == 0)
        {
            database.CheckpointSize = DefaultCheckpointPages;
        }
    }
}
