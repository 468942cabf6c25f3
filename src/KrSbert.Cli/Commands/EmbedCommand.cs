using System.CommandLine;
using KrSbert.Cli.Input;
using KrSbert.Cli.Output;
using KrSbert.Embedding;

namespace KrSbert.Cli.Commands;

/// <summary><c>krsbert embed [FILE]</c>: one JSON line per text with its vector.</summary>
internal static class EmbedCommand
{
    private const int ChunkSize = 256;

    public static Command Create()
    {
        var model = new ModelArguments();
        var input = InputArguments.File();
        var textColumn = InputArguments.TextColumn();
        var command = new Command("embed", "Embed texts; writes JSON lines {\"embedding\",\"token_count\",\"truncated\"} in input order")
        {
            input,
            textColumn,
        };
        model.AddTo(command, embedding: true);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            EmbeddingRequest request = model.Request(result);
            using var loggers = model.Loggers(result);
            using SentenceEmbedder embedder = model.Load(result, loggers);
            string? path = result.GetValue(input);
            using TextReader reader = TextRecordReader.Open(path);
            await using var output = new JsonLinesWriter(Console.OpenStandardOutput());
            var chunk = new List<TextRecord>(ChunkSize);
            await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn)).ReadAsync(reader, path ?? "stdin", cancellationToken))
            {
                chunk.Add(record);
                if (chunk.Count == ChunkSize)
                {
                    await EmbedChunkAsync(embedder, request, chunk, output, path ?? "stdin", cancellationToken);
                }
            }

            await EmbedChunkAsync(embedder, request, chunk, output, path ?? "stdin", cancellationToken);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task EmbedChunkAsync(SentenceEmbedder embedder, EmbeddingRequest request, List<TextRecord> chunk, JsonLinesWriter output, string source, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0)
        {
            return;
        }

        IReadOnlyList<SentenceEmbedding> vectors;
        try
        {
            vectors = await embedder.EmbedAsync(chunk.Select(r => r.Text).ToArray(), request, cancellationToken);
        }
        catch (InvalidTextException e)
        {
            throw new InputFormatException(source, chunk[e.Index].LineNumber, $"text {e.Reason}");
        }

        for (int i = 0; i < vectors.Count; i++)
        {
            var json = output.Writer;
            json.WriteStartObject();
            if (chunk[i].Id is { } id)
            {
                json.WriteString("id", id);
            }

            json.WriteStartArray("embedding");
            foreach (float value in vectors[i].Vector)
            {
                json.WriteNumberValue(value);
            }

            json.WriteEndArray();
            json.WriteNumber("token_count", vectors[i].TokenCount);
            json.WriteBoolean("truncated", vectors[i].Truncated);
            json.WriteEndObject();
            output.EndLine();
        }

        chunk.Clear();
    }
}
