namespace KrSbert.Probe;

/// <summary>The texts, labels or options cannot be probed; the message says which line or option and why.</summary>
public sealed class ProbeInputException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public ProbeInputException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ProbeInputException()
    {
    }

    /// <summary>Creates the exception with an inner one.</summary>
    public ProbeInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
