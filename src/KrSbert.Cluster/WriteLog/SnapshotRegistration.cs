namespace KrSbert.Cluster.WriteLog;

/// <summary>
/// A shard snapshot the builder wrote and registered: it holds every change of its shard up to and including
/// <see cref="Sequence"/>, so a replica loading it catches up from the log after that sequence.
/// </summary>
/// <param name="Shard">The shard it holds.</param>
/// <param name="Sequence">The last log sequence it includes.</param>
/// <param name="Location">Where the snapshot store keeps it.</param>
/// <param name="Sha256">The SHA-256 of its bytes (32 bytes), checked before a replica loads it.</param>
public sealed record SnapshotRegistration(int Shard, long Sequence, string Location, byte[] Sha256);
