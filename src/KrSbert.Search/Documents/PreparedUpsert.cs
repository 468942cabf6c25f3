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

    internal OpenCollection Target { get; }

    internal List<DocumentWrite> Writes { get; }
}
