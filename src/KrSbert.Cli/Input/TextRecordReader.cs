using System.Runtime.CompilerServices;
using System.Text.Json;

namespace KrSbert.Cli.Input;

/// <summary>
/// Reads texts from a file or standard input: JSON Lines (a <c>text</c> field, optional <c>id</c> and
/// <c>metadata</c>), TSV with a header when a text column is named, or plain text, one text a line
/// (blank lines skipped).
/// </summary>
internal sealed class TextRecordReader
{
    private readonly string? _textColumn;

    public TextRecordReader(string? textColumn = null) => _textColumn = textColumn;

    public static TextReader Open(string? path) =>
        path is null or "-" ? Console.In : new StreamReader(path, System.Text.Encoding.UTF8);

    public async IAsyncEnumerable<TextRecord> ReadAsync(TextReader reader, string sourceName, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long lineNumber = 0;
        int textIndex = -1;
        string[]? header = null;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (_textColumn is not null)
            {
                string[] cells = line.Split('\t');
                if (header is null)
                {
                    header = cells;
                    textIndex = Array.IndexOf(header, _textColumn);
                    if (textIndex < 0)
                    {
                        throw new InputFormatException(sourceName, lineNumber, $"the header has no column '{_textColumn}' (columns: {string.Join(", ", header)})");
                    }

                    continue;
                }

                if (textIndex >= cells.Length)
                {
                    throw new InputFormatException(sourceName, lineNumber, $"has {cells.Length} columns; '{_textColumn}' is column {textIndex + 1}");
                }

                yield return new TextRecord(lineNumber, cells[textIndex]);
                continue;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            yield return line.TrimStart().StartsWith('{') ? ParseJson(line, sourceName, lineNumber) : new TextRecord(lineNumber, line);
        }
    }

    private static TextRecord ParseJson(string line, string sourceName, long lineNumber)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            if (!root.TryGetProperty("text", out JsonElement text) || text.ValueKind != JsonValueKind.String)
            {
                throw new InputFormatException(sourceName, lineNumber, "a JSON line needs a string field 'text'");
            }

            string? id = root.TryGetProperty("id", out JsonElement idElement) ? idElement.ValueKind switch
            {
                JsonValueKind.String => idElement.GetString(),
                JsonValueKind.Number => idElement.GetRawText(),
                _ => throw new InputFormatException(sourceName, lineNumber, "field 'id' must be a string or a number"),
            } : null;

            Dictionary<string, string>? metadata = null;
            if (root.TryGetProperty("metadata", out JsonElement meta) && meta.ValueKind == JsonValueKind.Object)
            {
                metadata = [];
                foreach (JsonProperty property in meta.EnumerateObject())
                {
                    metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
                }
            }

            return new TextRecord(lineNumber, text.GetString()!, id, metadata);
        }
        catch (JsonException e)
        {
            throw new InputFormatException(sourceName, lineNumber, $"is not valid JSON ({e.Message})");
        }
    }
}
