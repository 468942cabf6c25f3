using KrSbert.Storage.Collections;

namespace KrSbert.Storage.Backups;

/// <summary>The outcome of <see cref="DocumentStore.Restore"/>.</summary>
/// <param name="Path">The database file now in place.</param>
/// <param name="KeptAside">Where the database it replaced was moved (with its log, if it had one), or null when there was none.</param>
/// <param name="Collections">The collections the restored database holds.</param>
public sealed record RestoredStore(string Path, string? KeptAside, IReadOnlyList<CollectionRecord> Collections);
