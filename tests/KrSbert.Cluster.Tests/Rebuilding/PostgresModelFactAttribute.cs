using KrSbert.Cluster.Tests.WriteLog;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Cluster.Tests.Rebuilding;

/// <summary>A fact that needs PostgreSQL and a model folder under <c>../shared</c>: skipped with the reason where either is missing, except under CI.</summary>
public sealed class PostgresModelFactAttribute : FactAttribute
{
    public PostgresModelFactAttribute(string modelFolder)
    {
        if (!PostgresCluster.IsRequired && PostgresCluster.Unavailable is { } reason)
        {
            Skip = $"needs PostgreSQL: {reason}";
        }
        else if (!SharedFolder.Has(modelFolder) && !SharedFolder.IsRequired)
        {
            Skip = SharedFolder.SkipReason(modelFolder);
        }
    }
}
