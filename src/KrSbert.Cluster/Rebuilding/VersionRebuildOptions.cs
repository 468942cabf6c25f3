using KrSbert.Cluster.Snapshots;
using KrSbert.Search;

namespace KrSbert.Cluster.Rebuilding;

/// <summary>What a <see cref="VersionRebuild"/> may use beyond the source's log.</summary>
public sealed record VersionRebuildOptions
{
    /// <summary>
    /// The source version's snapshots: a shard whose log was compacted is read from its newest verified snapshot,
    /// then from the log after the snapshot's sequence. Without them a compacted log fails the rebuild.
    /// </summary>
    public ShardSnapshots? Snapshots { get; init; }

    /// <summary>
    /// An engine running the model the new version takes: the new version records it, and every upsert is
    /// re-embedded with it (<see cref="LogReembedder"/>). Without it the new version keeps the source's model and
    /// rows are copied as they are.
    /// </summary>
    public SearchEngine? ReembedWith { get; init; }
}
