namespace KrSbert.Storage;

/// <summary>How a <see cref="DocumentStore"/> writes to disk.</summary>
public sealed class DocumentStoreOptions
{
    /// <summary>When writes are acknowledged; <see cref="StoreDurability.Fsync"/> unless set.</summary>
    public StoreDurability Durability { get; set; } = StoreDurability.Fsync;

    /// <summary>Most commits that share one fsync before their callers are answered.</summary>
    public int MaxCommitsPerFlush { get; set; } = 64;
}
