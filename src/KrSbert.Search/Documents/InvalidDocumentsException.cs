namespace KrSbert.Search.Documents;

/// <summary>A request held invalid documents and asked for all or nothing; nothing was stored.</summary>
public sealed class InvalidDocumentsException(IReadOnlyList<DocumentFailure> failures)
    : ArgumentException($"documents[{failures[0].Index}].{failures[0].Field}: {failures[0].Reason}" + (failures.Count > 1 ? $" (and {failures.Count - 1} more)" : ""), $"documents[{failures[0].Index}].{failures[0].Field}")
{
    /// <summary>Every invalid document.</summary>
    public IReadOnlyList<DocumentFailure> Failures { get; } = failures;
}
