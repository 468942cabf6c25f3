using KrSbert.Cluster.Tests.WriteLog;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>The cluster-mode tests in this assembly share one throwaway PostgreSQL (each test takes a database of its own).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterPostgres : ICollectionFixture<PostgresCluster>
{
    public const string Name = "Cluster PostgreSQL";
}
