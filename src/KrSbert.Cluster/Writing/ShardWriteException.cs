using KrSbert.Cluster.Consistency;

namespace KrSbert.Cluster.Writing;

/// <summary>
/// A write whose append failed on a shard. The shards in <see cref="Committed"/> hold their part of the write;
/// retrying the whole request is safe, since an upsert or delete applied twice ends the same.
/// </summary>
public sealed class ShardWriteException : Exception
{
    /// <summary>A write that failed on <paramref name="failedShard"/> after <paramref name="committed"/> committed.</summary>
    public ShardWriteException(ConsistencyToken committed, int failedShard, Exception inner)
        : base($"the write failed on shard {failedShard} ({inner?.Message}); {committed?.Sequences.Count} other shard(s) committed their part.", inner)
    {
        ArgumentNullException.ThrowIfNull(committed);
        (Committed, FailedShard) = (committed, failedShard);
    }

    /// <summary>A failed write.</summary>
    public ShardWriteException()
        : this("the write failed on a shard.", null!)
    {
    }

    /// <summary>A failed write, with its cause.</summary>
    public ShardWriteException(string message, Exception inner)
        : base(message, inner)
    {
        Committed = new ConsistencyToken(0, []);
        FailedShard = -1;
    }

    /// <summary>The sequences of the shards that committed, as a token that reads them.</summary>
    public ConsistencyToken Committed { get; }

    /// <summary>The shard whose append failed.</summary>
    public int FailedShard { get; }
}
