namespace KrSbert.Search.Documents;

/// <summary>A document that was not stored.</summary>
/// <param name="Index">Its position in the request or stream.</param>
/// <param name="Id">Its id, when it had or was given one.</param>
/// <param name="Field">The field at fault (<c>id</c>, <c>text</c>, <c>vector</c>, <c>metadata</c>).</param>
/// <param name="Reason">What is wrong with it.</param>
/// <param name="Limit">The size limit it breaks, when it is over one rather than malformed.</param>
public sealed record DocumentFailure(int Index, string? Id, string Field, string Reason, long? Limit = null)
{
    /// <summary>It breaks a size limit rather than being malformed.</summary>
    public bool OverLimit => Limit is not null;
}
