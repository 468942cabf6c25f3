namespace KrSbert.Cli.Input;

/// <summary>
/// One input text with where it came from and, for structured input, its id and metadata; for a JSON line,
/// <paramref name="Fields"/> holds its other top-level scalar fields (a label, a pair text).
/// </summary>
internal sealed record TextRecord(long LineNumber, string Text, string? Id = null, IReadOnlyDictionary<string, string>? Metadata = null, IReadOnlyDictionary<string, string>? Fields = null);
