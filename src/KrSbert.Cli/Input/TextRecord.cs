namespace KrSbert.Cli.Input;

/// <summary>One input text with where it came from and, for structured input, its id and metadata.</summary>
internal sealed record TextRecord(long LineNumber, string Text, string? Id = null, IReadOnlyDictionary<string, string>? Metadata = null);
