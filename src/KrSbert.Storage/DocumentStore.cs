using KrSbert.Storage.Collections;
using KrSbert.Storage.Files;
using KrSbert.Storage.Writing;
using LiteDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KrSbert.Storage;

/// <summary>
/// The store of truth: collections, documents, their chunk vectors, a per-collection change log and index
/// snapshots, in one LiteDB file. Every write runs on one writer thread inside one transaction, so a
/// batch is all or nothing; reads run on any thread. Under <see cref="StoreDurability.Fsync"/> a write is
/// answered only after its commit is on disk, and writes that queue together share one fsync.
/// A write that fails for any reason but the caller's (an I/O error, a full disk, LiteDB state a failed
/// write left broken) is rolled back by closing and reopening the database, so the next call finds a working
/// store; the failed call throws <see cref="StoreFullException"/> or <see cref="StoreUnavailableException"/>.
/// </summary>
public sealed partial class DocumentStore : IDocumentStore
{
    private readonly string _path;
    private readonly string _directory;
    private readonly DocumentStoreOptions _options;
    private readonly ILogger _logger;
    private readonly StoreWriter _writer;
    private readonly FileStream _lock;
    private readonly Lock _reopenGate = new();
    private readonly Lock _flushGate = new();
    private StoreDatabase? _current;
    private int _reopenCount;
    private int _disposed;
    private int _writesAvailable = 1;

    private DocumentStore(string path, DocumentStoreOptions options, FileStream fileLock, StoreDatabase database, ILogger logger)
    {
        _path = path;
        _directory = System.IO.Path.GetDirectoryName(path)!;
        _options = options;
        _lock = fileLock;
        _current = database;
        _logger = logger;
        _writer = new StoreWriter("krsbert-store-writer", FlushLog, options.MaxCommitsPerFlush);
    }

    /// <summary>The database file.</summary>
    public string Path => _path;

    /// <summary>When writes are acknowledged.</summary>
    public StoreDurability Durability => _options.Durability;

    /// <summary>How often the database was reopened after a failure.</summary>
    public int ReopenCount => Volatile.Read(ref _reopenCount);

    /// <summary>
    /// False while the last write failed for lack of space or an I/O error; true again once a write succeeds.
    /// Reads work either way.
    /// </summary>
    public bool WritesAvailable => Volatile.Read(ref _writesAvailable) == 1;

    /// <summary>Raised (on a store thread) when <see cref="WritesAvailable"/> changes.</summary>
    public event EventHandler? WritesAvailableChanged;

    /// <summary>The current LiteDB instance, for tests that break it on purpose.</summary>
    internal LiteDatabase Database => (Volatile.Read(ref _current) ?? throw new InvalidOperationException("The database is closed after a failure.")).Database;

    /// <summary>Sees "commit" after each commit, "flush" after each shared fsync and "ack" before a durable write is answered.</summary>
    internal Action<string>? WriteTrace
    {
        get => _writer.Trace;
        set => _writer.Trace = value;
    }

    /// <summary>Asked before every write to the database files (<see cref="StoreDurability.Fsync"/> only); an exception it returns is thrown instead.</summary>
    internal Func<Exception?>? WriteFault { get; set; }

    /// <summary>Asked before each reopen after a failure; an exception it returns fails the reopen (tests simulate a reopen that fails).</summary>
    internal Func<Exception?>? OpenFault { get; set; }

    /// <summary>Opens (or creates) the database file at <paramref name="path"/> with fsynced writes.</summary>
    /// <exception cref="StoreLockedException">Another process holds the file.</exception>
    /// <exception cref="InvalidDataException">The file was written by a build with another schema version.</exception>
    public static DocumentStore Open(string path, ILogger? logger = null) => Open(path, new DocumentStoreOptions(), logger);

    /// <summary>Opens (or creates) the database file at <paramref name="path"/>.</summary>
    /// <exception cref="StoreLockedException">Another process holds the file.</exception>
    /// <exception cref="InvalidDataException">The file was written by a build with another schema version.</exception>
    /// <exception cref="StoreUnreadableException">LiteDB cannot read the file (an overwritten header, say).</exception>
    public static DocumentStore Open(string path, DocumentStoreOptions options, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxCommitsPerFlush, 1);
        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        FileStream fileLock = Lock(full);
        StoreDatabase? database = null;
        DocumentStore? store = null;
        try
        {
            database = OpenDatabase(full, options.Durability, () => store?.InjectedFault());
            CheckSchema(database.Database, full);
            ResumeCheckpoints(database.Database);
            DropOrphans(database.Database);
            store = new DocumentStore(full, options, fileLock, database, logger ?? NullLogger.Instance);
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

        return store;
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

        await MaintainAsync(DropOrphans).ConfigureAwait(false);
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
        await MaintainAsync(DropOrphans).ConfigureAwait(false);
        return published;
    }

    /// <summary>Writes what LiteDB holds in its log into the data file, fsynced; waits while a backup copies the data file.</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken = default)
    {
        await _checkpointHold.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await MaintainAsync(db => db.Checkpoint(), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _checkpointHold.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _writer.Dispose();
        try
        {
            Volatile.Read(ref _current)?.Dispose();
        }
        finally
        {
            _lock.Dispose();
        }
    }

    /// <exception cref="StoreLockedException">LiteDB could not open the file (another process holds it).</exception>
    private static StoreDatabase OpenDatabase(string path, StoreDurability durability, Func<Exception?> writeFault)
    {
        try
        {
            return StoreDatabase.Open(path, durability, writeFault);
        }
        catch (IOException e) when (!IsNoSpace(e))
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
