using System.CommandLine;
using System.Globalization;
using KrSbert.Search;
using KrSbert.Storage;
using KrSbert.Storage.Backups;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert restore FILE --data DIR</c>: puts a backup in place as DIR/krsbert.db with the server stopped. The file
/// is checked first (FILE.sha256 when present, then that it is a KrSbert database of this schema); the database it
/// replaces is kept aside as krsbert.before-restore-TIMESTAMP.db.
/// </summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Backup file written by `krsbert backup`" };
        var data = new Option<string>("--data", "-d") { Description = "Data folder to restore into (holds krsbert.db)", Required = true };
        var command = new Command("restore", "Put a backup in place (the server must be stopped: the database opens once)") { file, data };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            string backup = result.GetValue(file)!;
            string checksumFile = backup + ".sha256";
            string? expected = null;
            if (File.Exists(checksumFile))
            {
                string line = await File.ReadAllTextAsync(checksumFile, cancellationToken);
                expected = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            }
            else
            {
                Console.Error.WriteLine($"krsbert: no {checksumFile}; checking the file's structure only");
            }

            string database = new SearchEngineOptions { DataDirectory = result.GetValue(data)! }.DatabasePath;
            RestoredStore restored = DocumentStore.Restore(backup, database, expected);
            Console.WriteLine($"restored {restored.Path}");
            if (restored.KeptAside is { } aside)
            {
                Console.WriteLine($"the database it replaced is kept as {aside}");
            }

            foreach (var collection in restored.Collections)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {collection.Name}: {collection.DocumentCount} documents, {collection.ChunkCount} vectors, sequence {collection.Sequence}"));
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}
