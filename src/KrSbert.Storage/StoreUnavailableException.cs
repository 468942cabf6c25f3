namespace KrSbert.Storage;

/// <summary>The database failed (an I/O error, a full disk) and is being reopened; the operation did not happen and can be retried.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
