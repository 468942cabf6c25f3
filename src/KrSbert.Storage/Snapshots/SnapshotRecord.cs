namespace KrSbert.Storage.Snapshots;

/// <summary>A saved index snapshot: which generation, which change sequence it covers, and its checksum.</summary>
public sealed record SnapshotRecord(int CollectionNumber, long Generation, long Sequence, long Length, byte[] Sha256, DateTime CreatedAt, int Parts);
