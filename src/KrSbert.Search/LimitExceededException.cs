namespace KrSbert.Search;

/// <summary>A request is over a configured limit (documents per request, top_k, metadata sizes); names the field and the limit.</summary>
public sealed class LimitExceededException : Exception
{
    /// <summary>A count or size <paramref name="value"/> of <paramref name="field"/> is over <paramref name="limit"/>.</summary>
    public LimitExceededException(string field, long value, long limit)
        : base($"{field} is {value}; the limit is {limit}.")
    {
        Field = field;
        Limit = limit;
    }

    /// <summary><paramref name="field"/> breaks <paramref name="limit"/>, as <paramref name="reason"/> says.</summary>
    public LimitExceededException(string field, string reason, long limit)
        : base($"{field}: {reason}")
    {
        Field = field;
        Limit = limit;
    }

    /// <summary>The request field at fault.</summary>
    public string Field { get; }

    /// <summary>The limit.</summary>
    public long Limit { get; }
}
