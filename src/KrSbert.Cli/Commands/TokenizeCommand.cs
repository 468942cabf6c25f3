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
            Write(output, response.InputIds, response.Tokens, response.AttentionMask, response.TokenTypeIds, response.Truncated);
        }

        return ExitCodes.Success;
    }

    private static void Write(JsonLinesWriter output, TokenizedText tokens) =>
        Write(output, tokens.InputIds.Select(i => (long)i), tokens.Tokens, tokens.AttentionMask.Select(i => (long)i), tokens.TokenTypeIds.Select(i => (long)i), tokens.Truncated);

    /// <summary>One line of tokenizer output, the same whether the tokens came from this process or a server.</summary>
    private static void Write(JsonLinesWriter output, IEnumerable<long> ids, IEnumerable<string> tokens, IEnumerable<long> mask, IEnumerable<long> typeIds, bool truncated)
    {
        var json = output.Writer;
        json.WriteStartObject();
        WriteNumbers(json, "ids", ids);
        json.WriteStartArray("tokens");
        foreach (string token in tokens)
        {
            json.WriteStringValue(token);
        }

        json.WriteEndArray();
        WriteNumbers(json, "attention_mask", mask);
        WriteNumbers(json, "token_type_ids", typeIds);
        json.WriteBoolean("truncated", truncated);
        json.WriteEndObject();
        output.EndLine();
    }

    private static void WriteNumbers(System.Text.Json.Utf8JsonWriter json, string name, IEnumerable<long> values)
    {
        json.WriteStartArray(name);
        foreach (long value in values)
        {
            json.WriteNumberValue(value);
        }

        json.WriteEndArray();
    }
}
