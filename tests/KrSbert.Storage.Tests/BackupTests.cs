using System.Security.Cryptography;
using KrSbert.Storage.Backups;
using KrSbert.Storage.Documents;
using LiteDB;

namespace KrSbert.Storage.Tests;

public class BackupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Backup_bytes_hash_to_the_reported_sha256_and_restore_to_a_store_with_every_document()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        await WriteAsync(temp.Store, "faq", 0, 200).WaitAsync(Timeout);
        using var copy = new MemoryStream();

        StoreBackup backup = await temp.Store.BackupAsync(copy).WaitAsync(Timeout);
        string restored = await RestoreIntoNewFolderAsync(copy.ToArray());

        try
        {
            Assert.Equal(copy.Length, backup.Length);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(copy.ToArray())), backup.Sha256);
            Assert.Equal((200L, 200L), (Assert.Single(backup.Collections).DocumentCount, backup.Collections[0].Sequence));
            using var store = DocumentStore.Open(restored);
            Assert.Equal(200, store.GetDocuments("faq", Enumerable.Range(0, 200).Select(Id)).Count);
            Assert.Equal(200L, store.GetCollection("faq")!.Sequence);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(restored)!, recursive: true);
        }
    }

    [Fact]
    public async Task Writes_complete_while_the_copy_is_paused_and_the_copy_holds_the_state_when_it_began()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        await WriteAsync(temp.Store, "faq", 0, 50).WaitAsync(Timeout);
        var firstChunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var copy = new MemoryStream();

        Task<StoreBackup> backup = temp.Store.BackupAsync(async (chunk, token) =>
        {
            firstChunk.TrySetResult();
            await resume.Task.WaitAsync(token);
            await copy.WriteAsync(chunk, token);
        });
        await firstChunk.Task.WaitAsync(Timeout);
        long dataFileBefore = new FileInfo(temp.FilePath).Length;
        // Enough writes that LiteDB would checkpoint on its own (its log passes 1000 pages) were checkpoints not held.
        for (int round = 0; round < 20; round++)
        {
            await temp.Store.ApplyBatchAsync("faq", Enumerable.Range(1000 + (round * 50), 50).Select(i => BigDocument(i)).ToList()).WaitAsync(Timeout);
        }

        Task checkpoint = temp.Store.CheckpointAsync();
        bool checkpointWaited = !checkpoint.IsCompleted;
        long dataFileDuring = new FileInfo(temp.FilePath).Length;
        resume.SetResult();
        StoreBackup done = await backup.WaitAsync(Timeout);
        await checkpoint.WaitAsync(Timeout);
        string restored = await RestoreIntoNewFolderAsync(copy.ToArray());

        try
        {
            Assert.Equal(dataFileBefore, dataFileDuring);
            Assert.True(checkpointWaited, "an explicit checkpoint ran while the data file was being copied");
            Assert.Equal(50L, Assert.Single(done.Collections).DocumentCount);
            Assert.Equal(1050L, temp.Store.GetCollection("faq")!.DocumentCount);
            Assert.True(new FileInfo(temp.FilePath).Length > dataFileBefore, "the held writes were not checkpointed after the backup");
            Assert.Equal(1000, temp.Store.Database.CheckpointSize);
            using var store = DocumentStore.Open(restored);
            Assert.Equal((50L, 50L), (store.GetCollection("faq")!.DocumentCount, store.GetCollection("faq")!.Sequence));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(restored)!, recursive: true);
        }
    }

    [Fact]
    public async Task A_cancelled_backup_turns_checkpoints_back_on()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        using var cancel = new CancellationTokenSource();

        Task<StoreBackup> backup = temp.Store.BackupAsync((_, _) =>
        {
            cancel.Cancel();
            cancel.Token.ThrowIfCancellationRequested();
            return ValueTask.CompletedTask;
        }, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backup.WaitAsync(Timeout));
        Assert.Equal(1000, temp.Store.Database.CheckpointSize);
        await temp.Store.CheckpointAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task Open_turns_checkpoints_back_on_after_a_crash_during_a_backup()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        temp.Close();
        using (var db = new LiteDatabase(new ConnectionString { Filename = temp.FilePath, Connection = ConnectionType.Direct }))
        {
            db.CheckpointSize = 0;
        }

        temp.Reopen();

        Assert.Equal(1000, temp.Store.Database.CheckpointSize);
    }

    [Fact]
    public async Task Restore_refuses_while_a_store_holds_the_database_and_changes_nothing()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        string backupFile = Path.GetTempFileName();
        await using (var file = File.Create(backupFile))
        {
            await temp.Store.BackupAsync(file).WaitAsync(Timeout);
        }

        string[] before = Listing(temp.FilePath);

        try
        {
            var locked = Assert.Throws<StoreLockedException>(() => DocumentStore.Restore(backupFile, temp.FilePath));
            Assert.Equal(temp.FilePath, locked.Path);
            Assert.Equal(before, Listing(temp.FilePath));
        }
        finally
        {
            File.Delete(backupFile);
        }
    }

    [Theory]
    [InlineData("text")]
    [InlineData("empty")]
    [InlineData("pages of zeros")]
    [InlineData("other LiteDB database")]
    public async Task Restore_of_a_file_that_is_not_a_KrSbert_database_changes_nothing(string kind)
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        await WriteAsync(temp.Store, "faq", 0, 10).WaitAsync(Timeout);
        temp.Close();
        string notBackup = Path.Combine(Path.GetTempPath(), "krsbert-not-backup-" + Guid.NewGuid().ToString("N") + ".db");
        switch (kind)
        {
            case "text":
                await File.WriteAllTextAsync(notBackup, "id,text\n1,hello\n").WaitAsync(Timeout);
                break;
            case "empty":
                await File.WriteAllBytesAsync(notBackup, []).WaitAsync(Timeout);
                break;
            case "pages of zeros":
                await File.WriteAllBytesAsync(notBackup, new byte[3 * 8192]).WaitAsync(Timeout);
                break;
            default:
                using (var other = new LiteDatabase(new ConnectionString { Filename = notBackup, Connection = ConnectionType.Direct }))
                {
                    other.GetCollection("people").Insert(new BsonDocument { ["name"] = "x" });
                }

                break;
        }

        byte[] database = await File.ReadAllBytesAsync(temp.FilePath).WaitAsync(Timeout);
        string[] before = Listing(temp.FilePath);

        try
        {
            var refused = Assert.Throws<InvalidBackupException>(() => DocumentStore.Restore(notBackup, temp.FilePath));
            Assert.Contains(notBackup, refused.Message, StringComparison.Ordinal);
            Assert.Equal(before, Listing(temp.FilePath));
            Assert.Equal(database, await File.ReadAllBytesAsync(temp.FilePath).WaitAsync(Timeout));
        }
        finally
        {
            File.Delete(notBackup);
            temp.Reopen();
        }
    }

    [Fact]
    public async Task Restore_refuses_a_backup_whose_sha256_differs_from_its_checksum()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        using var copy = new MemoryStream();
        StoreBackup backup = await temp.Store.BackupAsync(copy).WaitAsync(Timeout);
        temp.Close();
        byte[] corrupted = copy.ToArray();
        corrupted[^100] ^= 0x5a;
        string file = Path.Combine(Path.GetTempPath(), "krsbert-corrupt-" + Guid.NewGuid().ToString("N") + ".db");
        await File.WriteAllBytesAsync(file, corrupted).WaitAsync(Timeout);
        string[] before = Listing(temp.FilePath);

        try
        {
            var refused = Assert.Throws<InvalidBackupException>(() => DocumentStore.Restore(file, temp.FilePath, backup.Sha256));
            Assert.Contains("SHA-256", refused.Message, StringComparison.Ordinal);
            Assert.Equal(before, Listing(temp.FilePath));
        }
        finally
        {
            File.Delete(file);
            temp.Reopen();
        }
    }

    [Fact]
    public async Task Restore_keeps_the_replaced_database_and_its_log_aside_where_they_open_together()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        await WriteAsync(temp.Store, "faq", 0, 5).WaitAsync(Timeout);
        using var copy = new MemoryStream();
        await temp.Store.BackupAsync(copy).WaitAsync(Timeout);
        await WriteAsync(temp.Store, "faq", 5, 5).WaitAsync(Timeout);
        string backupFile = Path.Combine(Path.GetTempPath(), "krsbert-backup-" + Guid.NewGuid().ToString("N") + ".db");
        await File.WriteAllBytesAsync(backupFile, copy.ToArray()).WaitAsync(Timeout);
        // A process killed with writes in the log: copy the pair as the crash would leave them.
        string crashed = Path.Combine(Path.GetTempPath(), "krsbert-crashed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(crashed);
        string database = Path.Combine(crashed, "krsbert.db");
        File.Copy(temp.FilePath, database);
        string log = Path.Combine(Path.GetDirectoryName(temp.FilePath)!, "krsbert-log.db");
        bool hadLog = File.Exists(log);
        if (hadLog)
        {
            File.Copy(log, Path.Combine(crashed, "krsbert-log.db"));
        }

        try
        {
            RestoredStore restored = DocumentStore.Restore(backupFile, database);

            Assert.True(hadLog, "the test needs writes still in LiteDB's log");
            Assert.False(File.Exists(Path.Combine(crashed, "krsbert-log.db")), "the old log stayed next to the restored database");
            Assert.NotNull(restored.KeptAside);
            Assert.EndsWith(".db", restored.KeptAside, StringComparison.Ordinal);
            Assert.Contains("before-restore", restored.KeptAside, StringComparison.Ordinal);
            Assert.Equal(5L, Assert.Single(restored.Collections).DocumentCount);
            using (var store = DocumentStore.Open(database))
            {
                Assert.Equal(5L, store.GetCollection("faq")!.DocumentCount);
            }

            using var old = DocumentStore.Open(restored.KeptAside);
            Assert.Equal(10L, old.GetCollection("faq")!.DocumentCount);
        }
        finally
        {
            File.Delete(backupFile);
            Directory.Delete(crashed, recursive: true);
        }
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x41)]
    public async Task Open_of_a_database_with_an_overwritten_header_names_the_file_and_points_to_restore(byte fill)
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings()).WaitAsync(Timeout);
        temp.Close();
        await using (var file = new FileStream(temp.FilePath, FileMode.Open, FileAccess.Write))
        {
            await file.WriteAsync(Enumerable.Repeat(fill, 8192).ToArray()).AsTask().WaitAsync(Timeout);
        }

        var unreadable = Assert.Throws<StoreUnreadableException>(() => DocumentStore.Open(temp.FilePath));

        Assert.Equal(temp.FilePath, unreadable.Path);
        Assert.Contains(temp.FilePath, unreadable.Message, StringComparison.Ordinal);
        Assert.Contains("krsbert restore", unreadable.Message, StringComparison.Ordinal);
        // The lock is released, so restore can run.
        DocumentStore.Lock(temp.FilePath).Dispose();
        await File.WriteAllBytesAsync(temp.FilePath, []).WaitAsync(Timeout);
        temp.Reopen();
    }

    private static string Id(int i) => $"doc-{i:D6}";

    private static async Task WriteAsync(DocumentStore store, string collection, int first, int count)
    {
        for (int i = first; i < first + count; i++)
        {
            await store.ApplyBatchAsync(collection, [TemporaryStore.Document(Id(i), [i, 1, 2, 3])]);
        }
    }

    private static DocumentWrite.Upsert BigDocument(int i) =>
        new(Id(i), new string('x', 10_000), new Dictionary<string, string>(), [new StoredChunk(0, 10, [2, 3], [i, 1, 2, 3])]);

    private static async Task<string> RestoreIntoNewFolderAsync(byte[] backup)
    {
        string folder = Path.Combine(Path.GetTempPath(), "krsbert-restored-" + Guid.NewGuid().ToString("N"));
        string file = Path.Combine(Path.GetTempPath(), "krsbert-backup-" + Guid.NewGuid().ToString("N") + ".db");
        await File.WriteAllBytesAsync(file, backup).WaitAsync(Timeout);
        try
        {
            string database = Path.Combine(folder, "krsbert.db");
            RestoredStore restored = DocumentStore.Restore(file, database, Convert.ToHexStringLower(SHA256.HashData(backup)));
            Assert.Null(restored.KeptAside);
            return database;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string[] Listing(string databasePath) =>
        Directory.GetFiles(Path.GetDirectoryName(databasePath)!).Select(f => $"{Path.GetFileName(f)}:{new FileInfo(f).Length}").Order(StringComparer.Ordinal).ToArray();
}
