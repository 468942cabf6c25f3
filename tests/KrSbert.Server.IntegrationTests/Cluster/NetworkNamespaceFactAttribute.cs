using KrSbert.Cluster.Tests.WriteLog;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// A fact that needs PostgreSQL and a network namespace of its own. Skipped with the reason where a namespace
/// cannot be made: CI runs as root, but its container may lack CAP_NET_ADMIN, which is the machine's, not the code's.
/// Under CI a missing PostgreSQL still fails (as for every PostgreSQL test).
/// </summary>
public sealed class NetworkNamespaceFactAttribute : FactAttribute
{
    public NetworkNamespaceFactAttribute()
    {
        if (!PostgresCluster.IsRequired && PostgresCluster.Unavailable is { } postgres)
        {
            Skip = $"needs PostgreSQL: {postgres}";
        }
        else if (NetworkNamespace.Unavailable is { } reason)
        {
            Skip = $"needs a network namespace: {reason}";
        }
    }
}
