using KrSbert.Search.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Search.Documents;

/// <summary>A checked, chunked and embedded batch, ready to commit.</summary>
public sealed class PreparedUpsert
{
    internal PreparedUpsert(OpenCollection target, List<DocumentWrite> writes, IReadOnlyList<DocumentFailure> failures)
    {
        Target = target;
        Writes = writes;
        Failures = failures;
    }

    /// <summary>Documents that will be written.</summary>
    public int Count => Writes.Count;

    /// <summary>Documents refused while preparing.</summary>
    public IReadOnlyList<DocumentFailure> Failures { get; }

    /// <summary>The checked, chunked and embedded documents, in request order (a cluster router logs them instead of committing).</summary>
    public IReadOnlyList<DocumentWrite> Documents => Writes;

    internal OpenCollection Target { get; }

    internal List<DocumentWrite> Writes { get; }
}
