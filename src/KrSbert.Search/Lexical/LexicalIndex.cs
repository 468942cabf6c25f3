using System.Diagnostics;
using System.Text;
using KrSbert.Search.Indexing;
using KrSbert.Storage;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using Microsoft.Extensions.Logging;

namespace KrSbert.Search.Lexical;

/// <summary>
/// A collection's BM25 index as a derived index: the <see cref="KoreanAnalyzer"/> terms of every chunk's text,
/// under its chunk key. It keeps raw term frequencies and chunk lengths, so k1 and b are applied when a query
/// scores (the collection's by default, a query's own when it sets them); and a forward list per chunk, so a
/// removal takes exactly the chunk's postings away.
/// </summary>
/// <remarks>
/// Queries walk every posting of every query term, and common Korean syllables are in most chunks, so the layout
/// is made for that walk: a chunk is a dense ordinal, a term's postings are parallel arrays of ordinals and
/// frequencies, a chunk's length normaliser is read from an array, and scores accumulate into a pooled array.
/// Keys and strings are touched only at the edges (adding, removing, saving, and the final top-k).
/// </remarks>
internal sealed partial class LexicalIndex : IDerivedIndex
{
    /// <summary>The part name in snapshots.</summary>
    public const string Part = "lexical";

    // The part: magic, format version, sorted term table, then each chunk in key order (key, length, (term id, tf)*).
    private static readonly byte[] PartMagic = "KRSBLEX1"u8.ToArray();
    private const int FormatVersion = 1;

    // Changed only while the collection's indexes are exclusively held (apply, replay) or before publication (build, load);
    // read side by side by queries.
    private readonly Dictionary<string, int> _termIds = new(StringComparer.Ordinal);
    private readonly Stack<int> _freeTermIds = new();
    private TermPostings?[] _terms = new TermPostings?[64];
    private readonly Dictionary<ulong, int> _ordinals = [];
    private readonly Stack<int> _freeOrdinals = new();
    private ulong[] _keys = new ulong[64];
    private int[] _lengths = new int[64];
    private ChunkTerms[] _forward = new ChunkTerms[64];
    private int _ordinalSlots;
    private long _totalLength;

    // The collection's length normalisers, computed by the first query after a change; queries may race to fill it.
    private LengthNorms? _norms;

    // Counts one chunk's terms while it is added (adds are never concurrent).
    private readonly Dictionary<int, int> _chunkCounts = [];

    private readonly string _collection;
    private readonly Bm25 _bm25;
    private long _sequence;

    private LexicalIndex(string collection, Bm25 bm25, long sequence)
    {
        _collection = collection;
        _bm25 = bm25;
        _sequence = sequence;
    }

    public string PartName => Part;

    public long Sequence => Interlocked.Read(ref _sequence);

    /// <summary>Always 0: any text can be analysed.</summary>
    public long SkippedDocuments => 0;

    /// <summary>Chunks with at least one term.</summary>
    public int ChunkCount => _ordinals.Count;

    /// <summary>Distinct terms.</summary>
    public int TermCount => _termIds.Count;

    /// <summary>The k1 and b its collection was created with: what a query uses unless it sets its own.</summary>
    public Bm25 Bm25 => _bm25;

    public void Apply(IndexBatch batch)
    {
        foreach ((ChangeRecord change, DocumentWrite.Upsert? upsert) in batch.Changes)
        {
            RemoveDocument(change.DocumentKey, change.PreviousChunkCount);
            if (upsert is not null)
            {
                AddDocument(change.DocumentKey, upsert.Text, upsert.Chunks);
            }
        }

        Interlocked.Exchange(ref _sequence, batch.Sequence);
    }

    public void Replay(ChangeRecord change, IDocumentStore store)
    {
        RemoveDocument(change.DocumentKey, change.PreviousChunkCount);
        if (change.Kind == ChangeKind.Upsert)
        {
            // The store holds the document's current version; a later change in the log replaces it again if it is stale.
            foreach (StoredDocument document in store.GetDocumentsByKey(_collection, [change.DocumentKey]))
            {
                AddDocument(document.Key, document.Text, document.Chunks.Take(change.ChunkCount).ToList());
            }
        }

        Interlocked.Exchange(ref _sequence, change.Sequence);
    }

    /// <summary>The distinct terms of a query, in first-seen order.</summary>
    public static IReadOnlyCollection<string> QueryTerms(string text)
    {
        var terms = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        KoreanAnalyzer.Analyze(text.Normalize(NormalizationForm.FormC), term =>
        {
            string value = term.ToString();
            if (seen.Add(value))
            {
                terms.Add(value);
            }
        });
        return terms;
    }

    public void Save(Stream destination)
    {
        string[] terms = [.. _termIds.Keys.Order(StringComparer.Ordinal)];
        var saved = new int[_terms.Length];
        for (int i = 0; i < terms.Length; i++)
        {
            saved[_termIds[terms[i]]] = i;
        }

        using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
        writer.Write(PartMagic);
        writer.Write(FormatVersion);
        writer.Write(terms.Length);
        foreach (string term in terms)
        {
            writer.Write(term);
        }

        writer.Write(_ordinals.Count);
        var entries = new List<(int Id, int Tf)>();
        foreach ((ulong key, int ordinal) in _ordinals.OrderBy(c => c.Key))
        {
            ChunkTerms chunk = _forward[ordinal];
            writer.Write(key);
            writer.Write(_lengths[ordinal]);
            writer.Write(chunk.Terms.Length);
            entries.Clear();
            for (int t = 0; t < chunk.Terms.Length; t++)
            {
                entries.Add((saved[chunk.Terms[t]], chunk.Frequencies[t]));
            }

            entries.Sort();
            foreach ((int id, int tf) in entries)
            {
                writer.Write(id);
                writer.Write(tf);
            }
        }
    }

    public void Dispose()
    {
        // Managed memory only.
    }

    private void RemoveDocument(long document, int previousChunkCount)
    {
        // Chunks are numbered from 0 without gaps; the forward lists say which ones this index holds.
        for (int chunk = 0; ; chunk++)
        {
            if (!RemoveChunk(DocumentKeys.ChunkKey(document, chunk)) && chunk >= previousChunkCount)
            {
                return;
            }
        }
    }

    private bool RemoveChunk(ulong key)
    {
        if (!_ordinals.Remove(key, out int ordinal))
        {
            return false;
        }

        _norms = null;
        ChunkTerms chunk = _forward[ordinal];
        _totalLength -= _lengths[ordinal];
        for (int i = 0; i < chunk.Terms.Length; i++)
        {
            int id = chunk.Terms[i];
            TermPostings postings = _terms[id]!;
            int at = chunk.Positions[i];
            // Removal moves the term's last posting into the freed place; its chunk learns its new position, so a
            // removal costs the moved chunk's term count, not a search through postings common terms have by the 100k.
            if (postings.Remove(at) is int moved and >= 0)
            {
                ChunkTerms other = _forward[moved];
                other.Positions[Array.IndexOf(other.Terms, id)] = at;
            }

            if (postings.Count == 0)
            {
                _termIds.Remove(postings.Term);
                _terms[id] = null;
                _freeTermIds.Push(id);
            }
        }

        _forward[ordinal] = default;
        _lengths[ordinal] = 0;
        _freeOrdinals.Push(ordinal);
        return true;
    }

    private void AddDocument(long document, string text, IReadOnlyList<StoredChunk> chunks)
    {
        for (int chunk = 0; chunk < chunks.Count; chunk++)
        {
            // Offsets come from the store; clamping keeps an odd stored record from failing a replay.
            int start = Math.Clamp(chunks[chunk].Start, 0, text.Length);
            int end = Math.Clamp(chunks[chunk].End, start, text.Length);
            AddChunk(DocumentKeys.ChunkKey(document, chunk), text.AsSpan(start, end - start));
        }
    }

    private void AddChunk(ulong key, ReadOnlySpan<char> text)
    {
        Dictionary<int, int> counts = _chunkCounts;
        counts.Clear();
        var lookup = _termIds.GetAlternateLookup<ReadOnlySpan<char>>();
        int length = 0;
        // Decomposed Hangul (conjoining jamo) is composed first, as queries are; only such chunks pay for a copy.
        ReadOnlySpan<char> composed = text.ContainsAnyInRange('\u1100', '\u11FF') ? text.ToString().Normalize(NormalizationForm.FormC) : text;
        KoreanAnalyzer.Analyze(composed, term =>
        {
            length++;
            int id = lookup.TryGetValue(term, out int known) ? known : NewTerm(term.ToString());
            counts[id] = counts.GetValueOrDefault(id) + 1;
        });

        if (counts.Count == 0)
        {
            return;
        }

        AddChunk(key, length, [.. counts.Keys], [.. counts.Values]);
    }

    /// <summary>Gives a term an id with no postings yet (a chunk adds them at once).</summary>
    private int NewTerm(string term)
    {
        if (!_freeTermIds.TryPop(out int id))
        {
            id = _termIds.Count;
            if (id == _terms.Length)
            {
                Array.Resize(ref _terms, _terms.Length * 2);
            }
        }

        _terms[id] = new TermPostings(term);
        _termIds[term] = id;
        return id;
    }

    private void AddChunk(ulong key, int length, int[] terms, int[] frequencies)
    {
        _norms = null;
        if (!_freeOrdinals.TryPop(out int ordinal))
        {
            ordinal = _ordinalSlots++;
            if (ordinal == _keys.Length)
            {
                int size = _keys.Length * 2;
                Array.Resize(ref _keys, size);
                Array.Resize(ref _lengths, size);
                Array.Resize(ref _forward, size);
            }
        }

        _ordinals[key] = ordinal;
        _keys[ordinal] = key;
        _lengths[ordinal] = length;
        var positions = new int[terms.Length];
        _forward[ordinal] = new ChunkTerms(terms, frequencies, positions);
        _totalLength += length;
        for (int i = 0; i < terms.Length; i++)
        {
            positions[i] = _terms[terms[i]]!.Add(ordinal, frequencies[i]);
        }
    }

    private static LexicalIndex Read(Stream part, CollectionRecord collection, long sequence)
    {
        using var reader = new BinaryReader(part, Encoding.UTF8, leaveOpen: true);
        if (!reader.ReadBytes(PartMagic.Length).AsSpan().SequenceEqual(PartMagic))
        {
            throw new InvalidDataException("the lexical part does not start with its magic");
        }

        int version = reader.ReadInt32();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"the lexical part has format version {version}; this server reads {FormatVersion}");
        }

        long remaining = part.Length - part.Position;
        int termCount = reader.ReadInt32();
        if (termCount < 0 || termCount > remaining)
        {
            throw new InvalidDataException($"the lexical part claims {termCount} terms in {remaining} bytes");
        }

        var terms = new string[termCount];
        for (int i = 0; i < termCount; i++)
        {
            terms[i] = reader.ReadString();
            // Saved terms ascend once each; a repeated term would later get a second id beside a live one.
            if (i > 0 && string.CompareOrdinal(terms[i - 1], terms[i]) >= 0)
            {
                throw new InvalidDataException($"the lexical part's term {i} does not follow term {i - 1} in order; terms ascend once each");
            }
        }

        int chunkCount = reader.ReadInt32();
        if (chunkCount < 0 || chunkCount > part.Length - part.Position)
        {
            throw new InvalidDataException($"the lexical part claims {chunkCount} chunks in {part.Length - part.Position} bytes");
        }

        var index = new LexicalIndex(collection.Name, Bm25.Of(collection.Settings), sequence);
        var ids = new int[termCount];
        Array.Fill(ids, -1);
        ulong previousKey = 0;
        for (int c = 0; c < chunkCount; c++)
        {
            ulong key = reader.ReadUInt64();
            int length = reader.ReadInt32();
            int count = reader.ReadInt32();
            if (c > 0 && key <= previousKey)
            {
                throw new InvalidDataException($"the lexical part's chunk {key} follows chunk {previousKey}; keys ascend once each");
            }

            previousKey = key;
            if (count <= 0 || count > termCount || length < count)
            {
                throw new InvalidDataException($"the lexical part's chunk {key} claims {count} terms over a length of {length}");
            }

            var chunkTerms = new int[count];
            var frequencies = new int[count];
            int previous = -1;
            for (int t = 0; t < count; t++)
            {
                int id = reader.ReadInt32();
                int tf = reader.ReadInt32();
                // Saved ids ascend within a chunk; a repeat would post the chunk twice under one term.
                if ((uint)id >= (uint)termCount || tf <= 0 || id <= previous)
                {
                    throw new InvalidDataException($"the lexical part's chunk {key} holds term {id} with frequency {tf}");
                }

                if (ids[id] < 0)
                {
                    ids[id] = index.NewTerm(terms[id]);
                }

                chunkTerms[t] = ids[id];
                frequencies[t] = tf;
                previous = id;
            }

            index.AddChunk(key, length, chunkTerms, frequencies);
        }

        return index;
    }

    /// <summary>One chunk's forward list: its distinct term ids, their frequencies and where its posting sits in each term's postings.</summary>
    private readonly record struct ChunkTerms(int[] Terms, int[] Frequencies, int[] Positions);

    /// <summary>Makes lexical indexes.</summary>
    internal sealed class Kind(ILogger logger) : IDerivedIndexKind
    {
        public string PartName => Part;

        public IDerivedIndex Load(Stream part, CollectionRecord collection, long sequence)
        {
            try
            {
                return Read(part, collection, sequence);
            }
            catch (EndOfStreamException e)
            {
                throw new InvalidDataException("the lexical part ends early", e);
            }
        }

        public IDerivedIndex Build(IDocumentStore store, CollectionRecord collection, IProgress<long>? progress)
        {
            long started = Stopwatch.GetTimestamp();
            var index = new LexicalIndex(collection.Name, Bm25.Of(collection.Settings), collection.Sequence);
            long documents = 0;
            foreach (StoredDocument document in store.ScanDocuments(collection.Name))
            {
                index.AddDocument(document.Key, document.Text, document.Chunks);
                if (++documents % 1024 == 0)
                {
                    progress?.Report(documents);
                }
            }

            Log.LexicalIndexBuilt(logger, collection.Name, index.ChunkCount, index.TermCount, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return index;
        }
    }
}
