namespace KrSbert.Cluster.Consistency;

/// <summary>A consistency token that this server cannot read: not one a write returned, or damaged on the way.</summary>
public sealed class InvalidConsistencyTokenException : FormatException
{
    /// <summary>A token that is wrong as <paramref name="reason"/> says.</summary>
    public InvalidConsistencyTokenException(string reason)
        : base($"consistency_token is not valid: {reason}")
    {
    }

    /// <summary>An unreadable token.</summary>
    public InvalidConsistencyTokenException()
        : this("it cannot be read.")
    {
    }

    /// <summary>An unreadable token, with the failure that showed it.</summary>
    public InvalidConsistencyTokenException(string reason, Exception inner)
        : base($"consistency_token is not valid: {reason}", inner)
    {
    }
}
