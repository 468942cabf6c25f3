using System.CommandLine;
using KrSbert.Cli.Input;
using KrSbert.Cli.Output;
using KrSbert.Embedding;
using KrSbert.Embedding.Tokenization;

namespace KrSbert.Cli.Commands;

/// <summary><c>krsbert tokenize [FILE]</c>: one JSON line per text with ids, tokens, mask, type ids and truncation.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var input = InputArguments.File();
        var textColumn = InputArguments.TextColumn();
        var command = new Command("tokenize", "Tokenize texts as the model's Hugging Face tokenizer does; writes JSON lines {\"ids\",\"tokens\",\"attention_mask\",\"token_type_ids\",\"truncated\"}")
        {
            input,
            textColumn,
        };
        model.AddTo(command, embedding: false);
        var server = new ServerArguments();
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            if (server.IsGiven(result))
            {
                return await TokenizeRemotelyAsync(result, server, input, textColumn, model, cancellationToken);
            }

            using var loggers = model.Loggers(result);
            using SentenceEmbedder embedder = model.Load(result, loggers);
            int? maxSequenceLength = result.GetValue(model.MaxSequenceLength);
            string? path = result.GetValue(input);
            using TextReader reader = TextRecordReader.Open(path);
            await using var output = new JsonLinesWriter(Console.OpenStandardOutput());
            await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn), sourceName: path).ReadAsync(reader, path ?? "stdin", cancellationToken))
            {
                TokenizedText tokens;
                try
                {
                    tokens = embedder.Tokenize(record.Text, maxSequenceLength);
                }
                catch (InvalidTextException e)
                {
                    throw new InputFormatException(path ?? "stdin", record.LineNumber, $"text {e.Reason}");
                }

                Write(output, tokens);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<int> TokenizeRemotelyAsync(System.CommandLine.ParseResult result, ServerArguments server, Argument<string?> input, Option<string?> textColumn, ModelArguments model, CancellationToken cancellationToken)
    {
        using var channel = server.Channel(result);
        var client = new Protos.V1.Embeddings.EmbeddingsClient(channel);
        string? path = result.GetValue(input);
        using TextReader reader = TextRecordReader.Open(path);
        await using var output = new JsonLinesWriter(Console.OpenStandardOutput());
        await foreach (TextRecord record in new TextRecordReader(result.GetValue(textColumn), sourceName: path).ReadAsync(reader, path ?? "stdin", cancellationToken))
        {
            var request = new Protos.V1.TokenizeRequest { Text = record.Text };
            if (result.GetValue(model.MaxSequenceLength) is { } length)
            {
                request.MaxSeqLength = (uint)length;
            }

            var response = await client.TokenizeAsync(request, cancellationToken: cancellationToken);
            var json = output.Writer;
            json.WriteStartObject();
            WriteInts(json, "ids", response.InputIds.Select(i => (int)i).ToArray());
            json.WriteStartArray("tokens");
            foreach (string token in response.Tokens)
            {
                json.WriteStringValue(token);
            }

            json.WriteEndArray();
            WriteInts(json, "attention_mask", response.AttentionMask.Select(i => (int)i).ToArray());
            WriteInts(json, "token_type_ids", response.TokenTypeIds.Select(i => (int)i).ToArray());
            json.WriteBoolean("truncated", response.Truncated);
            json.WriteEndObject();
            output.EndLine();
        }

        return ExitCodes.Success;
    }

    private static void Write(JsonLinesWriter output, TokenizedText tokens)
    {
        var json = output.Writer;
        json.WriteStartObject();
        WriteInts(json, "ids", tokens.InputIds);
        json.WriteStartArray("tokens");
        foreach (string token in tokens.Tokens)
        {
            json.WriteStringValue(token);
        }

        json.WriteEndArray();
        WriteInts(json, "attention_mask", tokens.AttentionMask);
        WriteInts(json, "token_type_ids", tokens.TokenTypeIds);
        json.WriteBoolean("truncated", tokens.Truncated);
        json.WriteEndObject();
        output.EndLine();
    }

    private static void WriteInts(System.Text.Json.Utf8JsonWriter json, string name, IReadOnlyList<int> values)
    {
        json.WriteStartArray(name);
        foreach (int value in values)
        {
            json.WriteNumberValue(value);
        }

        json.WriteEndArray();
    }
}
