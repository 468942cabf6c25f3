namespace KrSbert.Storage;

/// <summary>When a write is acknowledged relative to the disk.</summary>
public enum StoreDurability
{
    /// <summary>
    /// A write is acknowledged only after its commit is fsynced: it survives a power cut. Writes that queue
    /// together share one fsync (group commit).
    /// </summary>
    Fsync = 0,

    /// <summary>
    /// A write is acknowledged once its commit is handed to the operating system: it survives a crash of the
    /// process but not of the machine. Faster for many small writes.
    /// </summary>
    Os = 1,
}
