using System.Text;

namespace KrSbert.Cli.Input;

/// <summary>
/// Splits CSV rows (fields may be quoted, with <c>""</c> for a quote and line breaks inside quotes) and TSV rows
/// (tabs separate, quotes are plain characters, as in KorSTS and most tab-separated corpora).
/// </summary>
internal static class DelimitedRow
{
    /// <summary>Reads one row (which may span lines); null at the end of input.</summary>
    public static async Task<(List<string> Fields, int Lines)?> ReadAsync(TextReader reader, char delimiter, CancellationToken cancellationToken)
    {
        string? line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line is null)
        {
            return null;
        }

        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        int lines = 1;
        int i = 0;
        while (true)
        {
            if (i == line.Length)
            {
                if (!quoted)
                {
                    fields.Add(field.ToString());
                    return (fields, lines);
                }

                // A quoted field runs on to the next line.
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new FormatException("a quoted field is not closed before the end of the input");
                field.Append('\n');
                lines++;
                i = 0;
                continue;
            }

            char c = line[i++];
            if (quoted)
            {
                if (c == '"' && i < line.Length && line[i] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0 && delimiter == ',')
            {
                quoted = true;
            }
            else if (c == delimiter)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }
    }
}
