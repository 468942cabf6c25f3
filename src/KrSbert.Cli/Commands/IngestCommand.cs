using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using KrSbert.Cli.Input;
using KrSbert.Cli.Output;
using KrSbert.Protos.V1;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert ingest FILE</c>: streams documents to a server. Records without an id get one from their text's
/// hash, so running the command again after an interruption overwrites what arrived and completes the rest.
/// </summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var server = new ServerArguments();
        var file = new Argument<string>("file") { Description = "JSON lines (id, text, metadata), CSV/TSV with --text-column, or plain text one document per line; '-' reads standard input" };
        var collection = new Option<string>("--collection", "-c") { Description = "Target collection", Required = true };
        var textColumn = new Option<string?>("--text-column") { Description = "CSV/TSV: the text column (other columns become metadata)" };
        var idColumn = new Option<string?>("--id-column") { Description = "CSV/TSV: the id column" };
        var command = new Command("ingest", "Stream documents into a collection") { file, collection, textColumn, idColumn };
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            string path = result.GetValue(file)!;
            string target = result.GetValue(collection)!;
            long total = path == "-" ? 0 : await CountLinesAsync(path, cancellationToken);
            using var channel = server.Channel(result);
            using TextReader reader = TextRecordReader.Open(path);
            var progress = new ProgressBar($"ingest {target}", total, "docs");
            using var call = new Documents.DocumentsClient(channel).Ingest(cancellationToken: cancellationToken);
            long sent = 0;
            await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn), result.GetValue(idColumn), path).ReadAsync(reader, path == "-" ? "stdin" : path, cancellationToken))
            {
                var document = new Document { Id = record.Id ?? IdOf(record.Text), Text = record.Text };
                foreach ((string key, string value) in record.Metadata ?? new Dictionary<string, string>())
                {
                    document.Metadata[key] = value;
                }

                await call.RequestStream.WriteAsync(new IngestRequest { Collection = sent == 0 ? target : "", Document = document }, cancellationToken);
                progress.Report(++sent);
            }

            await call.RequestStream.CompleteAsync();
            IngestResponse response = await call;
            progress.Finish();
            Console.WriteLine($"{target}: received {response.Received}, stored {response.Stored}, failed {response.Failures.Count}; sequence {response.Sequence}");
            foreach (DocumentError failure in response.Failures.Take(20))
            {
                Console.Error.WriteLine($"  document {failure.Index} ({failure.Id}): {failure.Field} {failure.Reason}");
            }

            return response.Failures.Count == 0 ? ExitCodes.Success : ExitCodes.BadInput;
        }));
        return command;
    }

    /// <summary>A stable id from the text, so reruns upsert rather than duplicate.</summary>
    internal static string IdOf(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 12));

    private static async Task<long> CountLinesAsync(string path, CancellationToken cancellationToken)
    {
        long lines = 0;
        using var reader = new StreamReader(path);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                lines++;
            }
        }

        return path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? Math.Max(0, lines - 1) : lines;
    }
}
