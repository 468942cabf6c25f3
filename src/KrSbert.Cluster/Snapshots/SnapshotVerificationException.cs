namespace KrSbert.Cluster.Snapshots;

/// <summary>A registered snapshot that cannot be trusted: its bytes are gone or differ from the registered hash.</summary>
public sealed class SnapshotVerificationException : Exception
{
    /// <summary>A snapshot at <paramref name="location"/> that failed as <paramref name="reason"/> says.</summary>
    public SnapshotVerificationException(string location, string reason)
        : base($"snapshot {location} cannot be loaded: {reason}")
    {
        Location = location;
    }

    /// <summary>An unverifiable snapshot.</summary>
    public SnapshotVerificationException()
        : this("(unknown)", "it failed verification")
    {
    }

    /// <summary>An unverifiable snapshot, with the failure that showed it.</summary>
    public SnapshotVerificationException(string message, Exception inner)
        : base(message, inner)
    {
        Location = "(unknown)";
    }

    /// <summary>Where the store keeps it.</summary>
    public string Location { get; } = "(unknown)";
}
