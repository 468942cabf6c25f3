using System.Runtime.CompilerServices;
using System.Text.Json;

namespace KrSbert.Cli.Input;

/// <summary>
/// Reads texts from a file or standard input: JSON Lines (a <c>text</c> field, optional <c>id</c> and
/// <c>metadata</c>), CSV or TSV with a header when a text column is named (the id column and the other
/// columns as metadata), or plain text, one text a line (blank lines skipped).
/// </summary>
internal sealed class TextRecordReader
{
    private readonly string? _textColumn;
    private readonly string? _idColumn;
    private readonly char _delimiter;

    /// <param name="textColumn">Names the text column of a CSV/TSV file; null reads JSON lines or plain text.</param>
    /// <param name="idColumn">Names the id column of a CSV/TSV file, if any.</param>
    /// <param name="sourceName">The file name; a <c>.csv</c> name means commas, anything else tabs.</param>
    public TextRecordReader(string? textColumn = null, string? idColumn = null, string? sourceName = null)
    {
        _textColumn = textColumn;
        _idColumn = idColumn;
        _delimiter = sourceName is not null && sourceName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? ',' : '\t';
    }

    public static TextReader Open(string? path) =>
        path is null or "-" ? Console.In : new StreamReader(path, System.Text.Encoding.UTF8);

    public async IAsyncEnumerable<TextRecord> ReadAsync(TextReader reader, string sourceName, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_textColumn is not null)
        {
            await foreach (TextRecord record in ReadDelimitedAsync(reader, sourceName, cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }

            yield break;
        }

        long lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            yield return line.TrimStart().StartsWith('{') ? ParseJson(line, sourceName, lineNumber) : new TextRecord(lineNumber, line);
        }
    }

    private async IAsyncEnumerable<TextRecord> ReadDelimitedAsync(TextReader reader, string sourceName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long lineNumber = 1;
        List<string>? header = (await ReadRowAsync(reader, sourceName, lineNumber, cancellationToken).ConfigureAwait(false))?.Fields;
        if (header is null)
        {
            yield break;
        }

        int textIndex = header.IndexOf(_textColumn!);
        if (textIndex < 0)
        {
            throw new InputFormatException(sourceName, 1, $"the header has no column '{_textColumn}' (columns: {string.Join(", ", header)})");
        }

        int idIndex = _idColumn is null ? -1 : header.IndexOf(_idColumn);
        if (_idColumn is not null && idIndex < 0)
        {
            throw new InputFormatException(sourceName, 1, $"the header has no column '{_idColumn}' (columns: {string.Join(", ", header)})");
        }

        lineNumber++;
        while (await ReadRowAsync(reader, sourceName, lineNumber, cancellationToken).ConfigureAwait(false) is { } row)
        {
            long first = lineNumber;
            lineNumber += row.Lines;
            if (row.Fields is [""])
            {
                continue;
            }

            if (row.Fields.Count != header.Count)
            {
                throw new InputFormatException(sourceName, first, $"has {row.Fields.Count} columns; the header has {header.Count}");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < header.Count; i++)
            {
                if (i != textIndex && i != idIndex)
                {
                    metadata[header[i]] = row.Fields[i];
                }
            }

            yield return new TextRecord(first, row.Fields[textIndex], idIndex < 0 ? null : row.Fields[idIndex], metadata);
        }
    }

    private async Task<(List<string> Fields, int Lines)?> ReadRowAsync(TextReader reader, string sourceName, long lineNumber, CancellationToken cancellationToken)
    {
        try
        {
            return await DelimitedRow.ReadAsync(reader, _delimiter, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException e)
        {
            throw new InputFormatException(sourceName, lineNumber, e.Message);
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

            Dictionary<string, string>? fields = null;
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name is not ("text" or "id" or "metadata") && property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                {
                    fields ??= new Dictionary<string, string>(StringComparer.Ordinal);
                    fields[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
                }
            }

            return new TextRecord(lineNumber, text.GetString()!, id, metadata, fields);
        }
        catch (JsonException e)
        {
            throw new InputFormatException(sourceName, lineNumber, $"is not valid JSON ({e.Message})");
        }
    }
}
