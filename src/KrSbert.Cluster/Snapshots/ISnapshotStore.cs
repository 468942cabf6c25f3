using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.WriteLog;

namespace KrSbert.Cluster.Snapshots;

/// <summary>
/// Where builders put shard snapshots and replicas fetch them: a volume or object storage. It keeps bytes and
/// their SHA-256; what the bytes hold (the single-node backup format) is the builder's and the replica's business.
/// </summary>
public interface ISnapshotStore
{
    /// <summary>Stores <paramref name="content"/> as the snapshot of a shard at <paramref name="sequence"/> and returns its registration (location and SHA-256).</summary>
    Task<SnapshotRegistration> PutAsync(CollectionVersion version, int shard, long sequence, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Opens a registered snapshot after checking its bytes against the registered SHA-256.</summary>
    /// <exception cref="SnapshotVerificationException">The bytes are missing or do not match the hash.</exception>
    Task<Stream> OpenVerifiedAsync(SnapshotRegistration snapshot, CancellationToken cancellationToken = default);

    /// <summary>Removes a snapshot's bytes; false when they were not there.</summary>
    Task<bool> DeleteAsync(SnapshotRegistration snapshot, CancellationToken cancellationToken = default);
}
