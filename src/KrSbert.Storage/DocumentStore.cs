using KrSbert.Storage.Collections;
using KrSbert.Storage.Writing;
using LiteDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KrSbert.Storage;

/// <summary>
/// The store of truth: collections, documents, their chunk vectors, a per-collection change log and index
/// snapshots, in one LiteDB file. Every write runs on one writer thread inside one transaction, so a
/// batch is all or nothing; reads run on any thread. A database that fails (an I/O error disposes a LiteDB
/// instance for good) is reopened and the failure reported; the failed call throws <see cref="StoreUnavailableException"/>.
/// </summary>
public sealed partial class DocumentStore : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly StoreWriter _writer;
    private readonly FileStream _lock;
    private LiteDatabase _database;
    private int _reopenCount;

    private DocumentStore(string path, FileStream fileLock, LiteDatabase database, ILogger logger)
    {
        _path = path;
        _lock = fileLock;
        _database = database;
        _logger = logger;
        _writer = new StoreWriter("krsbert-store-writer");
    }

    /// <summary>The database file.</summary>
    public string Path => _path;

    /// <summary>The current LiteDB instance, for tests that break it on purpose.</summary>
    internal LiteDatabase Database => _database;

    /// <summary>How often the database was reopened after a failure.</summary>
    public int ReopenCount => Volatile.Read(ref _reopenCount);

    /// <summary>Opens (or creates) the database file at <paramref name="path"/>.</summary>
    /// <exception cref="StoreLockedException">Another process holds the file.</exception>
    /// <exception cref="InvalidDataException">The file was written by a build with another schema version.</exception>
    /// <exception cref="StoreUnreadableException">LiteDB cannot read the file (an overwritten header, say).</exception>
    public static DocumentStore Open(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        FileStream fileLock = Lock(full);
        LiteDatabase? database = null;
        try
        {
            database = OpenDatabase(full);
            CheckSchema(database, full);
            ResumeCheckpoints(database);
            DropOrphans(database);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            database?.Dispose();
            fileLock.Dispose();
            throw new StoreUnreadableException(full, e);
        }
        catch
        {
            database?.Dispose();
            fileLock.Dispose();
            throw;
        }

        return new DocumentStore(full, fileLock, database, logger ?? NullLogger.Instance);
    }

    /// <summary>Creates a collection.</summary>
    /// <exception cref="CollectionExistsException">The name is taken.</exception>
    public Task<CollectionRecord> CreateCollectionAsync(string name, CollectionSettings settings, CancellationToken cancellationToken = default)
    {
        CollectionName.Validate(name);
        ArgumentNullException.ThrowIfNull(settings);
        return WriteAsync(db =>
        {
            ILiteCollection<BsonDocument> collections = db.GetCollection(StoreSchema.Collections);
            if (collections.FindById(name) is not null)
            {
                throw new CollectionExistsException(name);
            }

            int number = NextCollectionNumber(db);
            var record = new CollectionRecord
            {
                Name = name,
                Number = number,
                Settings = settings,
                CreatedAt = DateTime.UtcNow,
                Sequence = 0,
                DocumentCount = 0,
                ChunkCount = 0,
                NextDocumentKey = 1,
                SnapshotGeneration = 0,
            };
            collections.Insert(StoreSchema.ToBson(record));
            db.GetCollection(StoreSchema.Documents(number)).EnsureIndex("key", unique: true);
            return record;
        }, cancellationToken);
    }

    /// <summary>The collection called <paramref name="name"/>, or null.</summary>
    public CollectionRecord? GetCollection(string name) =>
        Read(db => db.GetCollection(StoreSchema.Collections).FindById(name) is { } d ? StoreSchema.ToCollection(d) : null);

    /// <summary>Every collection, by name.</summary>
    public IReadOnlyList<CollectionRecord> ListCollections() =>
        Read(db => db.GetCollection(StoreSchema.Collections).FindAll().Select(StoreSchema.ToCollection).OrderBy(c => c.Name, StringComparer.Ordinal).ToList());

    /// <summary>Deletes a collection with its documents, change log and snapshots; false when it did not exist.</summary>
    public async Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken = default)
    {
        // The record goes in one transaction; LiteDB drops collections only outside one, so the data
        // follows on the same thread. A crash in between leaves orphans that the next open drops.
        int? number = await WriteAsync(db =>
        {
            ILiteCollection<BsonDocument> collections = db.GetCollection(StoreSchema.Collections);
            if (collections.FindById(name) is not { } d)
            {
                return (int?)null;
            }

            int number = d["number"].AsInt32;
            DeleteSnapshots(db, number, keepGenerations: []);
            collections.Delete(name);
            return number;
        }, cancellationToken).ConfigureAwait(false);
        if (number is null)
        {
            return false;
        }

        await _writer.RunAsync(() => DropOrphans(_database), CancellationToken.None).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Publishes <paramref name="replacement"/> under the name <paramref name="name"/> in one transaction: the old
    /// collection's record and snapshots go, the replacement's record takes the name (its documents, change log and
    /// snapshots stay where they are). The old collection's data is dropped afterwards, or at the next open after a crash.
    /// </summary>
    /// <exception cref="CollectionNotFoundException">Either collection is missing.</exception>
    public async Task<CollectionRecord> ReplaceCollectionAsync(string name, string replacement, CancellationToken cancellationToken = default)
    {
        CollectionRecord published = await WriteAsync(db =>
        {
            ILiteCollection<BsonDocument> collections = db.GetCollection(StoreSchema.Collections);
            BsonDocument old = collections.FindById(name) ?? throw new CollectionNotFoundException(name);
            CollectionRecord next = collections.FindById(replacement) is { } r ? StoreSchema.ToCollection(r) : throw new CollectionNotFoundException(replacement);
            DeleteSnapshots(db, old["number"].AsInt32, keepGenerations: []);
            collections.Delete(name);
            collections.Delete(replacement);
            CollectionRecord renamed = next with { Name = name };
            collections.Insert(StoreSchema.ToBson(renamed));
            return renamed;
        }, cancellationToken).ConfigureAwait(false);
        await _writer.RunAsync(() => DropOrphans(_database), CancellationToken.None).ConfigureAwait(false);
        return published;
    }

    /// <summary>Writes what LiteDB holds in its log into the data file, fsynced; waits while a backup copies the data file.</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken = default)
    {
        await _checkpointHold.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _writer.RunAsync(() =>
            {
                _database.Checkpoint();
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _checkpointHold.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _writer.Dispose();
        _database.Dispose();
        _lock.Dispose();
    }

    /// <summary>Runs <paramref name="work"/> in one transaction on the writer thread.</summary>
    private Task<T> WriteAsync<T>(Func<LiteDatabase, T> work, CancellationToken cancellationToken) =>
        _writer.RunAsync(() =>
        {
            LiteDatabase db = _database;
            try
            {
                db.BeginTrans();
                T result = work(db);
                db.Commit();
                return result;
            }
            catch (Exception e) when (IsFatal(e))
            {
                Reopen(e);
                throw new StoreUnavailableException($"The database {_path} failed and was reopened; the write did not happen: {e.Message}", e);
            }
            catch
            {
                db.Rollback();
                throw;
            }
        }, cancellationToken);

    private T Read<T>(Func<LiteDatabase, T> work)
    {
        try
        {
            return work(_database);
        }
        catch (Exception e) when (IsFatal(e))
        {
            _ = _writer.RunAsync(() =>
            {
                Reopen(e);
                return true;
            }, CancellationToken.None);
            throw new StoreUnavailableException($"The database {_path} failed and is being reopened: {e.Message}", e);
        }
    }

    /// <summary>Replaces a LiteDB instance that an I/O error disposed. Runs on the writer thread.</summary>
    private void Reopen(Exception cause)
    {
        if (!IsBroken(_database))
        {
            return;
        }

        Log.StoreFailed(_logger, _path, cause);
        try
        {
            _database.Dispose();
        }
        catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException)
        {
            // Disposing a broken instance may fail the same way; the new one replaces it regardless.
        }

        _database = OpenDatabase(_path);
        Interlocked.Increment(ref _reopenCount);
        Log.StoreReopened(_logger, _path, _reopenCount);
    }

    private static bool IsBroken(LiteDatabase database)
    {
        try
        {
            _ = database.GetCollection(StoreSchema.Meta).Count();
            return false;
        }
        catch (Exception e) when (IsFatal(e))
        {
            return true;
        }
    }

    private static bool IsFatal(Exception e) =>
        e is IOException or ObjectDisposedException
        || (e is LiteException lite && lite.Message.Contains("disposed", StringComparison.OrdinalIgnoreCase));

    private static LiteDatabase OpenDatabase(string path)
    {
        try
        {
            return new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct, Upgrade = false });
        }
        catch (IOException e)
        {
            throw new StoreLockedException(path, e);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            throw new StoreUnreadableException(path, e);
        }
    }

    /// <summary>
    /// What LiteDB throws on a file it cannot parse: its own format errors, and whatever decoding garbage raises
    /// (an overwritten header page fails with a DateTime out of range before the format check, for one).
    /// </summary>
    private static bool IsUnreadable(Exception e) =>
        e is LiteException or ArgumentException or InvalidCastException or IndexOutOfRangeException or OverflowException or FormatException;

    /// <summary>
    /// LiteDB opens a file twice without complaint, and two writers corrupt it, so a lock file held
    /// exclusively (flock on Linux) keeps a second process, or a second open in this one, out.
    /// </summary>
    internal static FileStream Lock(string path)
    {
        try
        {
            return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new StoreLockedException(path, e);
        }
    }

    private static int NextCollectionNumber(LiteDatabase db)
    {
        ILiteCollection<BsonDocument> meta = db.GetCollection(StoreSchema.Meta);
        BsonDocument counter = meta.FindById("collections") ?? new BsonDocument { ["_id"] = "collections", ["next"] = 1 };
        int number = counter["next"].AsInt32;
        counter["next"] = number + 1;
        meta.Upsert(counter);
        return number;
    }

    private static int DropOrphans(LiteDatabase db)
    {
        var live = db.GetCollection(StoreSchema.Collections).FindAll().Select(d => d["number"].AsInt32).ToHashSet();
        int dropped = 0;
        foreach (string name in db.GetCollectionNames().ToList())
        {
            if (StoreSchema.CollectionNumber(name) is { } number && !live.Contains(number))
            {
                db.DropCollection(name);
                dropped++;
            }
        }

        return dropped;
    }

    private static void CheckSchema(LiteDatabase database, string path)
    {
        ILiteCollection<BsonDocument> meta = database.GetCollection(StoreSchema.Meta);
        BsonDocument? schema = meta.FindById("schema");
        if (schema is null)
        {
            meta.Insert(new BsonDocument { ["_id"] = "schema", ["version"] = StoreSchema.Version });
            return;
        }

        int version = schema["version"].AsInt32;
        if (version != StoreSchema.Version)
        {
            throw new InvalidDataException($"{path} has schema version {version}; this build reads version {StoreSchema.Version}.");
        }
    }
}
