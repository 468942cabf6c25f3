namespace KrSbert.Server.Options;

/// <summary>Cluster mode (<c>KrSbert:Cluster</c>): which part of the cluster this process plays and how it reaches the rest.</summary>
public sealed class ClusterOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "KrSbert:Cluster";

    /// <summary><c>all</c> (a single node, the default), <c>router</c>, <c>shard</c> or <c>builder</c>.</summary>
    public string Role { get; set; } = "all";

    /// <summary>The PostgreSQL connection string of the write log (every role but <c>all</c>).</summary>
    public string? Postgres { get; set; }

    /// <summary>The shard count new collections are split into (router) and the shards there are (every role but <c>all</c>).</summary>
    public int ShardCount { get; set; } = 1;

    /// <summary>The shard this replica serves (role <c>shard</c>), 0 to <see cref="ShardCount"/> − 1.</summary>
    public int Shard { get; set; }

    /// <summary>
    /// Per shard (router), the replicas' addresses: comma-separated <c>http://host:port</c>, each host resolved by
    /// DNS to every address it has (a headless Service lists every ready replica), used in turn.
    /// </summary>
    public List<string> ShardAddresses { get; set; } = [];

    /// <summary>The snapshot store folder (shard restores from it, builder publishes to it); unset: no snapshots.</summary>
    public string? SnapshotDirectory { get; set; }

    /// <summary>How long a shard waits without a LISTEN/NOTIFY wake-up before reading the log anyway, and re-reads the aliases.</summary>
    public int PollMilliseconds { get; set; } = 5_000;

    /// <summary>
    /// Builder: instead of snapshotting the serving versions, build the next version of this collection from its
    /// log (re-sharded to <see cref="RebuildShardCount"/>), wait until every replica in <see cref="ShardAddresses"/>
    /// serves it, flip the alias and drain the old version. Unset: no rebuild.
    /// </summary>
    public string? RebuildCollection { get; set; }

    /// <summary>Builder: the shard count of the rebuilt version; 0 keeps the serving version's count.</summary>
    public int RebuildShardCount { get; set; }

    /// <summary>Builder: how long the rebuild waits for the new version's replicas before it gives up without flipping.</summary>
    public int RebuildReadySeconds { get; set; } = 600;

    /// <summary>
    /// Builder, with <see cref="RebuildCollection"/>: the new version takes this builder's model and precision
    /// (<c>KrSbert:ModelDirectory</c>, <c>KrSbert:ModelPrecision</c>) and every document is re-embedded with it on
    /// the way; routers must then run that model to embed its queries. Off: the new version keeps the serving one's model.
    /// </summary>
    public bool RebuildModel { get; set; }

    /// <summary>Builder, with <see cref="RebuildCollection"/>: the rebuilt version's HNSW graph degree (2 to 512); 0 keeps the serving version's.</summary>
    public int RebuildM { get; set; }

    /// <summary>Builder, with <see cref="RebuildCollection"/>: the rebuilt version's HNSW build-time candidate list (1 to 10000); 0 keeps the serving version's.</summary>
    public int RebuildEfConstruction { get; set; }

    /// <summary>Builder, with <see cref="RebuildCollection"/>: the rebuilt version's default HNSW search-time candidate list (1 to 10000); 0 keeps the serving version's.</summary>
    public int RebuildEfSearch { get; set; }

    /// <summary>
    /// How long a version stays after a rebuild stopped it serving, so reads already sent to it finish: then the
    /// builder removes its log rows, snapshots and settings, and each shard replica its local store. -1 keeps it.
    /// </summary>
    public int DrainedVersionGraceSeconds { get; set; } = 300;

    /// <summary>
    /// Router: how often the alias table (<c>krs_alias</c>) is read again in the background. Reads resolve a
    /// collection from the last table read, so they go on while PostgreSQL is down; a name not in it is read
    /// through. Writes always read the alias afresh.
    /// </summary>
    public int AliasRefreshMilliseconds { get; set; } = 1_000;

    /// <summary>The parsed role (valid after start-up validation).</summary>
    internal ClusterRole ParsedRole => ClusterOptionsValidator.TryParseRole(Role, out ClusterRole role) ? role : ClusterRole.All;
}

/// <summary>The part of a cluster a process plays.</summary>
public enum ClusterRole
{
    /// <summary>A single node: stores, embeds and serves everything itself.</summary>
    All,

    /// <summary>Stateless: embeds, appends writes to the log, scatters queries to the shards and merges them.</summary>
    Router,

    /// <summary>A shard replica: restores a snapshot, tails its shard's log and answers queries for it.</summary>
    Shard,

    /// <summary>Builds each shard from the log, publishes verified snapshots, then exits.</summary>
    Builder,
}
