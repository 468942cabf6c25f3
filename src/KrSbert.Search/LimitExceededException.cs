namespace KrSbert.Search;

/// <summary>A request is over a configured limit (documents per request, top_k); names the field and the limit.</summary>
public sealed class LimitExceededException(string field, long value, long limit)
    : Exception($"{field} is {value}; the limit is {limit}.")
{
    /// <summary>The request field at fault.</summary>
    public string Field { get; } = field;

    /// <summary>The limit.</summary>
    public long Limit { get; } = limit;
}
