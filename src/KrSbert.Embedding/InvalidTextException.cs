namespace KrSbert.Embedding;

/// <summary>A text the engine refuses: null, empty, whitespace only, or longer than the configured limit.</summary>
public class InvalidTextException : ArgumentException
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

/// <summary>A text longer than the configured limit: a limit, not malformed input.</summary>
public sealed class TextTooLongException(int index, int length, int limit)
    : InvalidTextException(index, $"has {length} characters; the limit is {limit}")
{
    /// <summary>The text's length in UTF-16 characters.</summary>
    public int Length { get; } = length;

    /// <summary>The limit in UTF-16 characters.</summary>
    public int Limit { get; } = limit;
}
