namespace KrSbert.Cluster.Querying;

/// <summary>A shard replica could not answer (down, starting or catching up); the router tries another replica.</summary>
public sealed class ReplicaUnavailableException : Exception
{
    /// <summary>Replica <paramref name="address"/> is unavailable because of <paramref name="reason"/>.</summary>
    public ReplicaUnavailableException(string address, string reason, Exception? inner = null)
        : base($"replica {address} is unavailable: {reason}", inner)
    {
        Address = address;
    }

    /// <summary>The replica's address.</summary>
    public string Address { get; } = "";

    /// <summary>Not used: the replica's address is required.</summary>
    public ReplicaUnavailableException()
    {
    }

    /// <summary>Not used: the replica's address is required.</summary>
    public ReplicaUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Not used: the replica's address is required.</summary>
    public ReplicaUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
