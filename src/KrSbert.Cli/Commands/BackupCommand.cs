using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Grpc.Core;
using KrSbert.Protos.V1;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert backup --out FILE</c>: streams a consistent copy of a running server's database into FILE (through a
/// temporary file renamed into place once its SHA-256 matches the server's) and writes FILE.sha256 beside it.
/// </summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var server = new ServerArguments();
        var output = new Option<string>("--out", "-o") { Description = "Backup file to write (replaced if present); FILE.sha256 is written beside it", Required = true };
        var command = new Command("backup", "Copy a running server's database to a file (the server keeps serving)") { output };
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            string target = Path.GetFullPath(result.GetValue(output)!);
            using var channel = server.Channel(result);
            var client = new Backups.BackupsClient(channel);
            string partial = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.partial");
            try
            {
                (long size, string sha256, BackupSummary? summary) = await ReceiveAsync(client, partial, cancellationToken);
                if (summary is null)
                {
                    return CommandRunner.Fail(ExitCodes.VerificationFailed, "the server's backup stream ended without its summary; no file was written");
                }

                if ((ulong)size != summary.Size || !string.Equals(sha256, summary.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    return CommandRunner.Fail(ExitCodes.VerificationFailed, $"received {size} bytes with SHA-256 {sha256}; the server sent {summary.Size} bytes with SHA-256 {summary.Sha256}; no file was written");
                }

                File.Move(partial, target, overwrite: true);
                // The format `sha256sum -c` reads; `krsbert restore` checks it too.
                await File.WriteAllTextAsync(target + ".sha256", $"{sha256}  {Path.GetFileName(target)}\n", cancellationToken);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {target}: {size} bytes, sha256 {sha256}, taken at {summary.TakenAt.ToDateTime():u}"));
                foreach (BackupCollection collection in summary.Collections)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {collection.Name}: {collection.Documents} documents, {collection.Chunks} vectors, sequence {collection.Sequence}"));
                }

                return ExitCodes.Success;
            }
            finally
            {
                File.Delete(partial);
            }
        }));
        return command;
    }

    private static async Task<(long Size, string Sha256, BackupSummary? Summary)> ReceiveAsync(Backups.BackupsClient client, string partial, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using AsyncServerStreamingCall<BackupChunk> call = client.Backup(new BackupRequest(), cancellationToken: cancellationToken);
        await using var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        long size = 0;
        BackupSummary? summary = null;
        await foreach (BackupChunk chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (chunk.PartCase == BackupChunk.PartOneofCase.Summary)
            {
                summary = chunk.Summary;
                continue;
            }

            ReadOnlyMemory<byte> data = chunk.Data.Memory;
            hash.AppendData(data.Span);
            await file.WriteAsync(data, cancellationToken);
            size += data.Length;
        }

        await file.FlushAsync(cancellationToken);
        file.Flush(flushToDisk: true);
        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()), summary);
    }
}
