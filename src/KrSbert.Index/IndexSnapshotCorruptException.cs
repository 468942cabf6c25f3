namespace KrSbert.Index;

/// <summary>
/// A snapshot failed verification (wrong magic bytes, unknown format version, checksum mismatch, truncation,
/// or contents that disagree with the header). Thrown before any of its bytes reach the native library.
/// </summary>
public sealed class IndexSnapshotCorruptException : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public IndexSnapshotCorruptException()
        : base("The index snapshot is corrupt.")
    {
    }

    /// <summary>Creates the exception with a message saying what failed.</summary>
    public IndexSnapshotCorruptException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that revealed the problem.</summary>
    public IndexSnapshotCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
