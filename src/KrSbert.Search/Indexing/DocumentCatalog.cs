using System.Collections.Concurrent;
using KrSbert.Storage.Documents;

namespace KrSbert.Search.Indexing;

/// <summary>
/// Derived, in-memory: each document key's id, metadata and chunk count, for filters and hydration
/// without a database read per candidate. Rebuilt from the store when a collection opens.
/// </summary>
internal sealed class DocumentCatalog
{
    private readonly ConcurrentDictionary<long, CatalogEntry> _byKey = new();
    private readonly ConcurrentDictionary<string, long> _byId = new(StringComparer.Ordinal);

    public int Count => _byKey.Count;

    public static DocumentCatalog Load(IEnumerable<StoredDocument> documents)
    {
        var catalog = new DocumentCatalog();
        foreach (StoredDocument document in documents)
        {
            catalog.Put(document.Key, new CatalogEntry(document.Id, document.Metadata, [.. document.Chunks.Select(c => (c.Start, c.End))]));
        }

        return catalog;
    }

    public void Put(long key, CatalogEntry entry)
    {
        _byKey[key] = entry;
        _byId[entry.Id] = key;
    }

    public void Remove(long key)
    {
        if (_byKey.TryRemove(key, out CatalogEntry? entry))
        {
            _byId.TryRemove(entry.Id, out _);
        }
    }

    public CatalogEntry? Get(long key) => _byKey.TryGetValue(key, out CatalogEntry? entry) ? entry : null;

    public long? KeyOf(string id) => _byId.TryGetValue(id, out long key) ? key : null;

    public IEnumerable<KeyValuePair<long, CatalogEntry>> Entries => _byKey;
}

/// <summary>What the catalog keeps of a document.</summary>
internal sealed record CatalogEntry(string Id, IReadOnlyDictionary<string, string> Metadata, (int Start, int End)[] Chunks);
