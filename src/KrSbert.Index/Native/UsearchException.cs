namespace KrSbert.Index.Native;

/// <summary>The native library reported an error through its <c>usearch_error_t</c> out-parameter.</summary>
internal sealed class UsearchException : InvalidOperationException
{
    public UsearchException(string operation, string message)
        : base($"USearch {operation} failed: {message}")
    {
        NativeMessage = message;
    }

    /// <summary>The library's own text, e.g. "Out of memory!".</summary>
    public string NativeMessage { get; }
}
