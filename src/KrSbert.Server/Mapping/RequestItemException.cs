namespace KrSbert.Server.Mapping;

/// <summary>A failure of one item of a batched request; the error's message is prefixed with the item's field, e.g. <c>queries[1]</c>.</summary>
internal sealed class RequestItemException(string field, Exception inner) : Exception($"{field}: {inner.Message}", inner)
{
    /// <summary>The item, as the request names it.</summary>
    public string Field { get; } = field;
}
