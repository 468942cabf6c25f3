namespace KrSbert.Cluster.WriteLog;

/// <summary>
/// A reader asked for log rows that compaction has removed: it is behind every snapshot and must load one, then
/// read on from the snapshot's sequence.
/// </summary>
public sealed class LogCompactedException : InvalidOperationException
{
    /// <summary>A read of <paramref name="shard"/> after <paramref name="after"/>, below the <paramref name="compactedThrough"/> removed.</summary>
    public LogCompactedException(int shard, long after, long compactedThrough)
        : base($"shard {shard}'s log is compacted through sequence {compactedThrough}; rows after {after} are gone: load a snapshot at or after {compactedThrough}.")
    {
        (Shard, After, CompactedThrough) = (shard, after, compactedThrough);
    }

    /// <summary>The shard read.</summary>
    public int Shard { get; }

    /// <summary>The sequence the reader had applied.</summary>
    public long After { get; }

    /// <summary>The highest sequence removed.</summary>
    public long CompactedThrough { get; }
}
