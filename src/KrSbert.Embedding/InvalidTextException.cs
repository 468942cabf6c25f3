namespace KrSbert.Embedding;

/// <summary>A text the engine refuses: null, empty, whitespace only, or longer than the configured limit.</summary>
public sealed class InvalidTextException : ArgumentException
{
    /// <summary>Creates the error for the text at <paramref name="index"/>.</summary>
    public InvalidTextException(int index, string reason)
        : base($"texts[{index}] {reason}", $"texts[{index}]")
    {
        Index = index;
        Reason = reason;
    }

    /// <summary>Position of the refused text in the request.</summary>
    public int Index { get; }

    /// <summary>Why it was refused.</summary>
    public string Reason { get; }
}
