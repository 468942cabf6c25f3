namespace KrSbert.Search.Documents;

/// <summary>
/// A document to store: text to embed, or a vector of one's own (then text, if any, is kept but not embedded).
/// A null id gets a generated one.
/// </summary>
public sealed record DocumentInput(string? Id, string? Text, float[]? Vector = null, IReadOnlyDictionary<string, string>? Metadata = null);
