namespace KrSbert.Search.Documents;

/// <summary>A document that was not stored: its position in the request, its id and why.</summary>
public sealed record DocumentFailure(int Index, string? Id, string Field, string Reason);
