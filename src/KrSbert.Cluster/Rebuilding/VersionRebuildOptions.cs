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

    /// <summary>The new version's HNSW graph degree; null keeps the source's. Replicas build their graphs with it.</summary>
    public int? M { get; init; }

    /// <summary>The new version's HNSW build-time candidate list size; null keeps the source's.</summary>
    public int? EfConstruction { get; init; }

    /// <summary>The new version's default HNSW search-time candidate list size; null keeps the source's.</summary>
    public int? EfSearch { get; init; }

    /// <summary>Whether any HNSW parameter changes.</summary>
    internal bool ChangesHnsw => M is not null || EfConstruction is not null || EfSearch is not null;
}
