using System.CommandLine;

namespace KrSbert.Cli.Commands;

/// <summary>Arguments that say where texts come from.</summary>
internal static class InputArguments
{
    public static Argument<string?> File() => new("file")
    {
        Description = "JSON lines with a 'text' field, a TSV file with --text-column, or plain text one per line; '-' or nothing reads standard input",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static Option<string?> TextColumn() => new("--text-column")
    {
        Description = "Read a TSV file with a header and take the texts from this column",
    };
}
