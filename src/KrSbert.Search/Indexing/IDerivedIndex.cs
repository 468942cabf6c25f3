using KrSbert.Storage;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Search.Indexing;

/// <summary>
/// One of an open collection's derived indexes (the HNSW graph today; a lexical index can join it). The store is
/// the truth; an index follows it change by change, each change at its sequence number, and can always be
/// rebuilt from it. An open collection treats all its indexes alike: apply, replay, snapshot, rebuild.
/// </summary>
internal interface IDerivedIndex : IDisposable
{
    /// <summary>The name of its part in a collection snapshot.</summary>
    string PartName { get; }

    /// <summary>The sequence number of the last change it reflects.</summary>
    long Sequence { get; }

    /// <summary>Stored documents it refused (data from an older version that breaks today's rules).</summary>
    long SkippedDocuments { get; }

    /// <summary>Applies a batch the store has committed, from the documents in memory; it never refuses one (the rules ran before the commit).</summary>
    void Apply(IndexBatch batch);

    /// <summary>Applies one change of the log, reading what it needs from <paramref name="store"/>.</summary>
    void Replay(ChangeRecord change, IDocumentStore store);

    /// <summary>Writes its snapshot part, as it stands at <see cref="Sequence"/>.</summary>
    void Save(Stream destination);
}

/// <summary>Makes one kind of <see cref="IDerivedIndex"/>: from a snapshot part, or from the store.</summary>
internal interface IDerivedIndexKind
{
    /// <summary>The name of its part in a collection snapshot.</summary>
    string PartName { get; }

    /// <summary>Loads a snapshot part taken at <paramref name="sequence"/>.</summary>
    /// <exception cref="InvalidDataException">The part is damaged or does not fit the collection.</exception>
    IDerivedIndex Load(Stream part, CollectionRecord collection, long sequence);

    /// <summary>Builds the index from everything stored, at the collection's current sequence.</summary>
    IDerivedIndex Build(IDocumentStore store, CollectionRecord collection, IProgress<long>? progress);
}
