namespace KrSbert.Storage.Snapshots;

/// <summary>A stored snapshot's bytes do not match its checksum or are incomplete.</summary>
public sealed class SnapshotCorruptException(string message) : Exception(message);
