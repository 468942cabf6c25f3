namespace KrSbert.Cluster.Querying;

/// <summary>How much of a collection a query saw: the shards that answered out of the shards asked.</summary>
public readonly record struct Coverage
{
    /// <summary>A coverage of <paramref name="answered"/> shards out of <paramref name="asked"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Asked is below 1, or answered is negative or over asked.</exception>
    public Coverage(int answered, int asked)
    {
        if (asked < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(asked), asked, $"shards asked is {asked}; it must be at least 1.");
        }

        if (answered < 0 || answered > asked)
        {
            throw new ArgumentOutOfRangeException(nameof(answered), answered, $"shards answered is {answered}; it must be between 0 and the {asked} asked.");
        }

        (Answered, Asked) = (answered, asked);
    }

    /// <summary>The shards that answered.</summary>
    public int Answered { get; }

    /// <summary>The shards asked.</summary>
    public int Asked { get; }

    /// <summary>The fraction of shards that answered, 0 to 1.</summary>
    public double Fraction => (double)Answered / Asked;

    /// <summary>Whether every shard answered, so the result is the whole collection's.</summary>
    public bool IsComplete => Answered == Asked;
}
