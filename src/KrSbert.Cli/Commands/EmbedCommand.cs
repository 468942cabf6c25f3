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
        var server = new ServerArguments();
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            EmbeddingRequest request = model.Request(result);
            if (server.IsGiven(result))
            {
                return await EmbedRemotelyAsync(result, server, input, textColumn, model, cancellationToken);
            }

            using var loggers = model.Loggers(result);
            using SentenceEmbedder embedder = model.Load(result, loggers);
            string? path = result.GetValue(input);
            using TextReader reader = TextRecordReader.Open(path);
            await using var output = new JsonLinesWriter(Console.OpenStandardOutput());
            var chunk = new List<TextRecord>(ChunkSize);
            await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn), sourceName: path).ReadAsync(reader, path ?? "stdin", cancellationToken))
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

    private static async Task<int> EmbedRemotelyAsync(ParseResult result, ServerArguments server, Argument<string?> input, Option<string?> textColumn, ModelArguments model, CancellationToken cancellationToken)
    {
        using var channel = server.Channel(result);
        var client = new Protos.V1.Embeddings.EmbeddingsClient(channel);
        string? path = result.GetValue(input);
        using TextReader reader = TextRecordReader.Open(path);
        await using var output = new JsonLinesWriter(Console.OpenStandardOutput());
        var chunk = new List<TextRecord>(64);
        async Task FlushAsync()
        {
            if (chunk.Count == 0)
            {
                return;
            }

            var request = new Protos.V1.EmbedRequest { Pooling = result.GetValue(model.Pooling) ?? "" };
            request.Texts.AddRange(chunk.Select(r => r.Text));
            if (result.GetValue(model.Normalize) is { } normalize)
            {
                request.Normalize = normalize;
            }

            if (result.GetValue(model.MaxSequenceLength) is { } length)
            {
                request.MaxSeqLength = (uint)length;
            }

            var response = await client.EmbedAsync(request, cancellationToken: cancellationToken);
            for (int i = 0; i < chunk.Count; i++)
            {
                WriteVector(output, chunk[i].Id, response.Vectors[i].Values, (int)response.Vectors[i].TokenCount, response.Vectors[i].Truncated);
            }

            chunk.Clear();
        }

        await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn), sourceName: path).ReadAsync(reader, path ?? "stdin", cancellationToken))
        {
            chunk.Add(record);
            if (chunk.Count == 64)
            {
                await FlushAsync();
            }
        }

        await FlushAsync();
        return ExitCodes.Success;
    }

    private static void WriteVector(JsonLinesWriter output, string? id, IEnumerable<float> vector, int tokenCount, bool truncated)
    {
        var json = output.Writer;
        json.WriteStartObject();
        if (id is not null)
        {
            json.WriteString("id", id);
        }

        json.WriteStartArray("embedding");
        foreach (float value in vector)
        {
            json.WriteNumberValue(value);
        }

        json.WriteEndArray();
        json.WriteNumber("token_count", tokenCount);
        json.WriteBoolean("truncated", truncated);
        json.WriteEndObject();
        output.EndLine();
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
            WriteVector(output, chunk[i].Id, vectors[i].Vector, vectors[i].TokenCount, vectors[i].Truncated);
        }

        chunk.Clear();
    }
}
