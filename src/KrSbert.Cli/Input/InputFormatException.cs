namespace KrSbert.Cli.Input;

/// <summary>An input line that cannot be read; names the source and line.</summary>
internal sealed class InputFormatException(string source, long lineNumber, string problem)
    : Exception($"{source}:{lineNumber}: {problem}");
