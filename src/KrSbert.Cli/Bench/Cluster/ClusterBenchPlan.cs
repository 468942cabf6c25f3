using KrSbert.Protos.V1;

namespace KrSbert.Cli.Bench.Cluster;

/// <summary>What one <c>bench cluster</c> run measures; a count of 0 leaves its part out.</summary>
/// <param name="Postgres">Connection string of a PostgreSQL in which the run creates (and drops) databases of its own.</param>
/// <param name="Model">Model folder of every server (null: the embedded model).</param>
/// <param name="Texts">Ingested and stored texts, and the text queries.</param>
/// <param name="Layouts">The clusters compared with the single node.</param>
/// <param name="IngestDocuments">Documents ingested into each target (0: no ingest rows).</param>
/// <param name="IngestVectors">Ingest documents with their own random vectors (upserts) instead of texts the server embeds.</param>
/// <param name="Documents">Documents stored before querying (0: no query rows).</param>
/// <param name="Clients">Concurrent clients of each query row.</param>
/// <param name="Duration">How long each query row runs.</param>
/// <param name="Query">What each query sends.</param>
/// <param name="Include">What each hit carries (null: what a client that sets nothing gets).</param>
/// <param name="RecoveryDocuments">Vectors written before the snapshot in the recovery row (0: no recovery row).</param>
/// <param name="RecoveryDimensions">Their dimension.</param>
/// <param name="RecoveryAppended">Rows appended to the log after the snapshot, which the new replica catches up on.</param>
internal sealed record ClusterBenchPlan(
    string Postgres,
    string? Model,
    IReadOnlyList<string> Texts,
    IReadOnlyList<ClusterLayout> Layouts,
    int IngestDocuments,
    bool IngestVectors,
    int Documents,
    IReadOnlyList<int> Clients,
    TimeSpan Duration,
    ServerBenchmarkQuery Query,
    Include? Include,
    int RecoveryDocuments,
    int RecoveryDimensions,
    int RecoveryAppended);
