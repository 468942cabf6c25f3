using System.Security.Cryptography;
using Grpc.Core;
using KrSbert.Cli.Tests;
using KrSbert.Protos.V1;
using KrSbert.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KrSbert.Server.IntegrationTests;

/// <summary>Online backup over gRPC and <c>krsbert backup</c>/<c>restore</c>, against a real server.</summary>
public class BackupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_backup_taken_during_a_streaming_ingest_restores_every_acknowledged_document_with_index_equal_to_store()
    {
        await using var server = await TestServer.StartAsync();
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "v", Dimension = 16 }).ResponseAsync.WaitAsync(Timeout);
        var documents = new Documents.DocumentsClient(server.Channel);
        var acknowledged = new List<string>();
        using var stop = new CancellationTokenSource();
        var ingestRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int callsAfterBackup = 0;
        bool backupDone = false;
        Task ingest = Task.Run(async () =>
        {
            var random = new Random(8);
            for (int call = 0; !stop.IsCancellationRequested; call++)
            {
                using var stream = documents.Ingest();
                var ids = new List<string>();
                for (int i = 0; i < 50; i++)
                {
                    var document = new Document { Id = $"c{call}-d{i}", Text = $"document {i} of call {call}" };
                    document.Vector.AddRange(Enumerable.Range(0, 16).Select(_ => (float)random.NextDouble() + 0.01f));
                    await stream.RequestStream.WriteAsync(new IngestRequest { Collection = "v", Document = document });
                    ids.Add(document.Id);
                    if (call == 3 && i == 25)
                    {
                        // The backup starts while this call is half-sent and unacknowledged.
                        ingestRunning.TrySetResult();
                    }
                }

                await stream.RequestStream.CompleteAsync();
                IngestResponse response = await stream.ResponseAsync;
                Assert.Equal(50UL, response.Stored);
                lock (acknowledged)
                {
                    acknowledged.AddRange(ids);
                    if (Volatile.Read(ref backupDone))
                    {
                        callsAfterBackup++;
                    }
                }

                if (callsAfterBackup >= 2)
                {
                    return;
                }
            }
        });
        await ingestRunning.Task.WaitAsync(Timeout);
        List<string> before;
        lock (acknowledged)
        {
            before = [.. acknowledged];
        }

        (byte[] bytes, BackupSummary summary) = await BackupAsync(server.Channel).WaitAsync(Timeout);
        Volatile.Write(ref backupDone, true);
        await ingest.WaitAsync(Timeout);
        string restoredFolder = Path.Combine(Path.GetTempPath(), "krsbert-restored-" + Guid.NewGuid().ToString("N"));
        string backupFile = restoredFolder + ".backup.db";
        await File.WriteAllBytesAsync(backupFile, bytes).WaitAsync(Timeout);
        DocumentStore.Restore(backupFile, Path.Combine(restoredFolder, "krsbert.db"), summary.Sha256);
        File.Delete(backupFile);
        await using var restored = await TestServer.StartAsync(dataDirectory: restoredFolder);
        CollectionInfo info = await new Collections.CollectionsClient(restored.Channel).GetAsync(new GetCollectionRequest { Name = "v" }).ResponseAsync.WaitAsync(Timeout);
        var found = await new Documents.DocumentsClient(restored.Channel).GetAsync(new GetDocumentsRequest { Collection = "v", Ids = { before } }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), summary.Sha256);
        Assert.Equal((ulong)bytes.Length, summary.Size);
        Assert.True(before.Count >= 150, $"only {before.Count} documents were acknowledged before the backup");
        Assert.True(acknowledged.Count > (int)info.Documents, "no ingest call completed after the backup; it did not run alongside it");
        Assert.Equal(before.Count, found.Documents.Count);
        Assert.Equal(info.Chunks, info.IndexedVectors);
        Assert.Equal(info.Documents, Assert.Single(summary.Collections).Documents);
        Assert.Equal(info.Sequence, summary.Collections[0].Sequence);
    }

    [Fact]
    public async Task Writes_complete_while_a_backup_stream_is_paused_after_its_first_chunk()
    {
        await using var server = await TestServer.StartAsync();
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "v", Dimension = 4 }).ResponseAsync.WaitAsync(Timeout);
        var documents = new Documents.DocumentsClient(server.Channel);
        // About 40 MB: more than HTTP/2 flow control lets the server send ahead, so the server is still copying while the client pauses.
        string text = new('가', 30_000);
        for (int batch = 0; batch < 15; batch++)
        {
            var request = new UpsertRequest { Collection = "v" };
            request.Documents.AddRange(Enumerable.Range(0, 30).Select(i => VectorDocument($"b{batch}-{i}", text)));
            await documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout);
        }

        using var call = new Backups.BackupsClient(server.Channel).Backup(new BackupRequest());
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout));
        using var data = new MemoryStream();
        call.ResponseStream.Current.Data.WriteTo(data);

        var write = new UpsertRequest { Collection = "v", Documents = { VectorDocument("during", "written while the backup is paused") } };
        UpsertResponse written = await documents.UpsertAsync(write, deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync.WaitAsync(Timeout);
        BackupSummary? summary = null;
        while (await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout))
        {
            BackupChunk chunk = call.ResponseStream.Current;
            if (chunk.PartCase == BackupChunk.PartOneofCase.Summary)
            {
                summary = chunk.Summary;
            }
            else
            {
                chunk.Data.WriteTo(data);
            }
        }

        Assert.NotNull(summary);
        Assert.True(data.Length > 32L * 1024 * 1024, $"the database is only {data.Length} bytes");
        Assert.Equal(450UL, Assert.Single(summary.Collections).Documents);
        Assert.True(written.Sequence > summary.Collections[0].Sequence, "the write made during the backup is in it, so the backup had finished");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data.ToArray())), summary.Sha256);
        CollectionInfo info = await new Collections.CollectionsClient(server.Channel).GetAsync(new GetCollectionRequest { Name = "v" }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(451UL, info.Documents);
    }

    [Fact]
    public async Task Cli_backup_writes_a_verified_file_and_restore_refuses_held_corrupt_and_foreign_files()
    {
        await using var server = await TestServer.StartAsync(new() { ["KrSbert:ApiKey"] = "k" });
        var key = new Metadata { { "x-api-key", "k" } };
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "v", Dimension = 4 }, key).ResponseAsync.WaitAsync(Timeout);
        var upsert = new UpsertRequest { Collection = "v" };
        upsert.Documents.AddRange(Enumerable.Range(0, 20).Select(i => VectorDocument($"d{i}", $"text {i}")));
        await new Documents.DocumentsClient(server.Channel).UpsertAsync(upsert, key).ResponseAsync.WaitAsync(Timeout);
        string folder = Path.Combine(Path.GetTempPath(), "krsbert-cli-backup-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string address = $"http://127.0.0.1:{server.Port}";
        string backup = Path.Combine(folder, "b.db");
        string restoredData = Path.Combine(folder, "restored");

        try
        {
            var noKey = await KrSbertProcess.RunAsync(null, "backup", "--out", backup, "--server", address).WaitAsync(Timeout);
            var taken = await KrSbertProcess.RunAsync(null, "backup", "--out", backup, "--server", address, "--api-key", "k").WaitAsync(Timeout);
            string checksum = await File.ReadAllTextAsync(backup + ".sha256").WaitAsync(Timeout);
            var held = await KrSbertProcess.RunAsync(null, "restore", backup, "--data", server.DataDirectory).WaitAsync(Timeout);
            var restored = await KrSbertProcess.RunAsync(null, "restore", backup, "--data", restoredData).WaitAsync(Timeout);
            string[] restoredListing = Listing(restoredData);
            byte[] restoredBytes = await File.ReadAllBytesAsync(Path.Combine(restoredData, "krsbert.db")).WaitAsync(Timeout);

            string corrupt = Path.Combine(folder, "corrupt.db");
            byte[] bytes = await File.ReadAllBytesAsync(backup).WaitAsync(Timeout);
            bytes[bytes.Length / 2] ^= 0x01;
            await File.WriteAllBytesAsync(corrupt, bytes).WaitAsync(Timeout);
            File.Copy(backup + ".sha256", corrupt + ".sha256");
            var refusedCorrupt = await KrSbertProcess.RunAsync(null, "restore", corrupt, "--data", restoredData).WaitAsync(Timeout);
            string foreign = Path.Combine(folder, "notes.txt");
            await File.WriteAllTextAsync(foreign, "not a database\n").WaitAsync(Timeout);
            var refusedForeign = await KrSbertProcess.RunAsync(null, "restore", foreign, "--data", restoredData).WaitAsync(Timeout);

            Assert.Equal(8, noKey.ExitCode);
            Assert.Equal(0, taken.ExitCode);
            Assert.Contains("v: 20 documents", taken.Output, StringComparison.Ordinal);
            Assert.Equal($"{Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(backup).WaitAsync(Timeout)))}  b.db\n", checksum);
            Assert.Equal(6, held.ExitCode);
            Assert.Contains("in use", held.Error, StringComparison.Ordinal);
            Assert.Equal(0, restored.ExitCode);
            Assert.Equal(4, refusedCorrupt.ExitCode);
            Assert.Contains("SHA-256", refusedCorrupt.Error, StringComparison.Ordinal);
            Assert.Equal(4, refusedForeign.ExitCode);
            Assert.Contains(foreign, refusedForeign.Error, StringComparison.Ordinal);
            Assert.Equal(restoredListing, Listing(restoredData));
            Assert.Equal(restoredBytes, await File.ReadAllBytesAsync(Path.Combine(restoredData, "krsbert.db")).WaitAsync(Timeout));
            Assert.Empty(Directory.GetFiles(folder, "*.partial"));
            await using var again = await TestServer.StartAsync(dataDirectory: restoredData);
            CollectionInfo info = await new Collections.CollectionsClient(again.Channel).GetAsync(new GetCollectionRequest { Name = "v" }).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal((20UL, 20UL), (info.Documents, info.IndexedVectors));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_server_whose_database_header_is_overwritten_stops_with_one_message_naming_the_file_and_restore()
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-broken-" + Guid.NewGuid().ToString("N"));
        string database = Path.Combine(data, "krsbert.db");
        using (var store = DocumentStore.Open(database))
        {
            await store.CreateCollectionAsync("v", new Storage.Collections.CollectionSettings
            {
                ModelName = "m", Dimension = 4, Pooling = "mean", Normalize = false, Metric = "cosine", M = 16, EfConstruction = 200, EfSearch = 64,
                IndexStorage = "f32", ChunkTokens = 128, ChunkOverlap = 32,
            }).WaitAsync(Timeout);
        }

        try
        {
            await using (var file = new FileStream(database, FileMode.Open, FileAccess.Write))
            {
                byte[] garbage = new byte[8192];
                new Random(5).NextBytes(garbage);
                await file.WriteAsync(garbage).AsTask().WaitAsync(Timeout);
            }

            var serve = await KrSbertProcess.RunAsync(null, "serve", "--data", data, "--listen", $"127.0.0.1:{TestServer.FreePort()}", "--metrics", $"127.0.0.1:{TestServer.FreePort()}").WaitAsync(TimeSpan.FromMinutes(2));
            string all = serve.Output + serve.Error;

            Assert.NotEqual(0, serve.ExitCode);
            Assert.Contains($"The database {database} cannot be read", all, StringComparison.Ordinal);
            Assert.Contains("krsbert restore", all, StringComparison.Ordinal);
            Assert.Single(all.Split("cannot be read"), part => part.Contains("krsbert restore", StringComparison.Ordinal));
            Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("wrong sha256")]
    [InlineData("no summary")]
    public async Task Cli_backup_refuses_a_stream_that_fails_verification_and_leaves_no_file(string fault)
    {
        int port = TestServer.FreePort();
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, port, listen => listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new FaultyBackups(fault));
        await using WebApplication app = builder.Build();
        app.MapGrpcService<FaultyBackups>();
        await app.StartAsync().WaitAsync(Timeout);
        string folder = Path.Combine(Path.GetTempPath(), "krsbert-faulty-backup-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);

        try
        {
            var result = await KrSbertProcess.RunAsync(null, "backup", "--out", Path.Combine(folder, "b.db"), "--server", $"http://127.0.0.1:{port}").WaitAsync(Timeout);

            Assert.Equal(4, result.ExitCode);
            Assert.Contains("no file was written", result.Error, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(folder));
        }
        finally
        {
            await app.StopAsync().WaitAsync(Timeout);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Document VectorDocument(string id, string text)
    {
        var document = new Document { Id = id, Text = text };
        document.Vector.AddRange([1f, id.Length, 0.5f, 0.25f]);
        return document;
    }

    private static async Task<(byte[] Bytes, BackupSummary Summary)> BackupAsync(Grpc.Net.Client.GrpcChannel channel)
    {
        using var call = new Backups.BackupsClient(channel).Backup(new BackupRequest());
        using var data = new MemoryStream();
        BackupSummary? summary = null;
        await foreach (BackupChunk chunk in call.ResponseStream.ReadAllAsync())
        {
            if (chunk.PartCase == BackupChunk.PartOneofCase.Summary)
            {
                summary = chunk.Summary;
            }
            else
            {
                chunk.Data.WriteTo(data);
            }
        }

        return (data.ToArray(), summary ?? throw new InvalidOperationException("The backup stream ended without its summary."));
    }

    private static string[] Listing(string folder) =>
        Directory.GetFiles(folder).Select(f => $"{Path.GetFileName(f)}:{new FileInfo(f).Length}").Order(StringComparer.Ordinal).ToArray();
}

/// <summary>A Backups service whose stream fails verification: a summary with another SHA-256, or none.</summary>
internal sealed class FaultyBackups(string fault) : Backups.BackupsBase
{
    public override async Task Backup(BackupRequest request, IServerStreamWriter<BackupChunk> responseStream, ServerCallContext context)
    {
        byte[] data = new byte[3 * 8192];
        Random.Shared.NextBytes(data);
        await responseStream.WriteAsync(new BackupChunk { Data = Google.Protobuf.ByteString.CopyFrom(data) });
        if (fault == "wrong sha256")
        {
            await responseStream.WriteAsync(new BackupChunk { Summary = new BackupSummary { Size = (ulong)data.Length, Sha256 = new string('0', 64) } });
        }
    }
}
