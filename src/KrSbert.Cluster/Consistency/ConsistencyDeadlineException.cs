namespace KrSbert.Cluster.Consistency;

/// <summary>A replica had not applied the sequence a read's consistency token asked for when the read's deadline came.</summary>
public sealed class ConsistencyDeadlineException : TimeoutException
{
    /// <summary>A replica of <paramref name="shard"/> at <paramref name="applied"/> that did not reach <paramref name="wanted"/> within <paramref name="deadline"/>.</summary>
    public ConsistencyDeadlineException(int shard, long wanted, long applied, TimeSpan deadline)
        : base($"shard {shard} has applied sequence {applied}; the consistency token asks for {wanted}, which did not arrive within {deadline.TotalMilliseconds:0} ms.")
    {
        (Shard, Wanted, Applied) = (shard, wanted, applied);
    }

    /// <summary>The shard that lagged.</summary>
    public int Shard { get; }

    /// <summary>The sequence the token asked for.</summary>
    public long Wanted { get; }

    /// <summary>The sequence the replica had applied.</summary>
    public long Applied { get; }
}
