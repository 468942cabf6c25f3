namespace KrSbert.Cluster.Querying;

/// <summary>Every replica of one or more shards failed to answer, and the caller did not accept partial results.</summary>
public sealed class ShardsUnavailableException : Exception
{
    /// <summary>Shards <paramref name="shards"/> had no replica that answered.</summary>
    public ShardsUnavailableException(IReadOnlyList<int> shards, int shardCount)
        : base($"no replica of shard{(shards.Count == 1 ? "" : "s")} {string.Join(", ", shards)} (of {shardCount}) answered; retry, or set allow_partial to accept results from the other shards with their coverage.")
    {
        Shards = shards;
    }

    /// <summary>The shards that did not answer.</summary>
    public IReadOnlyList<int> Shards { get; } = [];

    /// <summary>Not used: the shards are required.</summary>
    public ShardsUnavailableException()
    {
    }

    /// <summary>Not used: the shards are required.</summary>
    public ShardsUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Not used: the shards are required.</summary>
    public ShardsUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
