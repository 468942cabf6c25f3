namespace KrSbert.Storage;

/// <summary>
/// The database failed (an I/O error) and was reopened, or is being reopened; the operation was not stored and can be retried.
/// </summary>
public class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
