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
/// scores; and a forward list per chunk, so a removal takes exactly the chunk's postings away.
/// </summary>
internal sealed class LexicalIndex : IDerivedIndex
{
    /// <summary>The part name in snapshots.</summary>
    public const string Part = "lexical";

    // The part: magic, format version, sorted term table, then each chunk in key order (key, length, (term id, tf)*).
    private static readonly byte[] PartMagic = "KRSBLEX1"u8.ToArray();
    private const int FormatVersion = 1;

    // Changed only while the collection's indexes are exclusively held (apply, replay) or before publication (build, load);
    // read side by side by queries.
    private readonly Dictionary<string, Dictionary<ulong, int>> _postings = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, ChunkTerms> _chunks = [];
    private readonly string _collection;
    private long _totalLength;
    private long _sequence;

    private LexicalIndex(string collection, long sequence)
    {
        _collection = collection;
        _sequence = sequence;
    }

    public string PartName => Part;

    public long Sequence => Interlocked.Read(ref _sequence);

    /// <summary>Always 0: any text can be analysed.</summary>
    public long SkippedDocuments => 0;

    /// <summary>Chunks with at least one term.</summary>
    public int ChunkCount => _chunks.Count;

    /// <summary>Distinct terms.</summary>
    public int TermCount => _postings.Count;

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

    /// <summary>
    /// The best-scoring chunk of each of the top <paramref name="count"/> documents for <paramref name="queryTerms"/>,
    /// best first (ties by chunk key), plus any documents tied with the last, scoring every chunk that holds a query
    /// term and passes <paramref name="filter"/>.
    /// </summary>
    public List<(ulong Key, float Score)> Search(IReadOnlyCollection<string> queryTerms, int count, Bm25 bm25, Func<ulong, bool>? filter)
    {
        if (_chunks.Count == 0 || queryTerms.Count == 0 || count <= 0)
        {
            return [];
        }

        double averageLength = (double)_totalLength / _chunks.Count;
        var scores = new Dictionary<ulong, double>();
        foreach (string term in queryTerms)
        {
            if (!_postings.TryGetValue(term, out Dictionary<ulong, int>? postings))
            {
                continue;
            }

            double idf = Bm25.Idf(_chunks.Count, postings.Count);
            foreach ((ulong key, int tf) in postings)
            {
                if (filter is not null && !filter(key))
                {
                    continue;
                }

                double score = bm25.TermScore(idf, tf, _chunks[key].Length, averageLength);
                scores[key] = scores.GetValueOrDefault(key) + score;
            }
        }

        var best = new Dictionary<long, (ulong Key, double Score)>();
        foreach ((ulong key, double score) in scores)
        {
            long document = DocumentKeys.DocumentKey(key);
            if (!best.TryGetValue(document, out var current) || score > current.Score || (score == current.Score && key < current.Key))
            {
                best[document] = (key, score);
            }
        }

        // Documents tied (in the reported score) with the last one come too, so the caller can break ties by document id.
        var ranked = best.Values.Select(h => (h.Key, Score: (float)h.Score)).OrderByDescending(h => h.Score).ThenBy(h => h.Key).ToList();
        int end = Math.Min(count, ranked.Count);
        while (end < ranked.Count && ranked[end].Score == ranked[end - 1].Score)
        {
            end++;
        }

        return ranked[..end];
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
        string[] terms = [.. _postings.Keys.Order(StringComparer.Ordinal)];
        var ids = new Dictionary<string, int>(terms.Length, StringComparer.Ordinal);
        for (int i = 0; i < terms.Length; i++)
        {
            ids[terms[i]] = i;
        }

        using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
        writer.Write(PartMagic);
        writer.Write(FormatVersion);
        writer.Write(terms.Length);
        foreach (string term in terms)
        {
            writer.Write(term);
        }

        writer.Write(_chunks.Count);
        foreach ((ulong key, ChunkTerms chunk) in _chunks.OrderBy(c => c.Key))
        {
            writer.Write(key);
            writer.Write(chunk.Length);
            writer.Write(chunk.Terms.Length);
            foreach ((int id, int tf) in chunk.Terms.Select((t, i) => (ids[t], chunk.Frequencies[i])).OrderBy(t => t.Item1))
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
            ulong key = DocumentKeys.ChunkKey(document, chunk);
            if (_chunks.Remove(key, out ChunkTerms terms))
            {
                _totalLength -= terms.Length;
                foreach (string term in terms.Terms)
                {
                    Dictionary<ulong, int> postings = _postings[term];
                    postings.Remove(key);
                    if (postings.Count == 0)
                    {
                        _postings.Remove(term);
                    }
                }
            }
            else if (chunk >= previousChunkCount)
            {
                return;
            }
        }
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
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = _postings.GetAlternateLookup<ReadOnlySpan<char>>();
        var countLookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        int length = 0;
        // Decomposed Hangul (conjoining jamo) is composed first, as queries are; only such chunks pay for a copy.
        ReadOnlySpan<char> composed = text.ContainsAnyInRange('\u1100', '\u11FF') ? text.ToString().Normalize(NormalizationForm.FormC) : text;
        KoreanAnalyzer.Analyze(composed, term =>
        {
            length++;
            if (countLookup.TryGetValue(term, out string? known, out int count))
            {
                counts[known] = count + 1;
                return;
            }

            // The postings' own string is shared by every chunk that holds the term.
            counts[lookup.TryGetValue(term, out string? existing, out _) ? existing : term.ToString()] = 1;
        });

        if (counts.Count == 0)
        {
            return;
        }

        AddChunk(key, length, [.. counts.Keys], [.. counts.Values]);
    }

    private void AddChunk(ulong key, int length, string[] terms, int[] frequencies)
    {
        _chunks[key] = new ChunkTerms(length, terms, frequencies);
        _totalLength += length;
        for (int i = 0; i < terms.Length; i++)
        {
            if (!_postings.TryGetValue(terms[i], out Dictionary<ulong, int>? postings))
            {
                postings = [];
                _postings[terms[i]] = postings;
            }

            postings[key] = frequencies[i];
        }
    }

    private static LexicalIndex Read(Stream part, string collection, long sequence)
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
        }

        var index = new LexicalIndex(collection, sequence);
        int chunkCount = reader.ReadInt32();
        if (chunkCount < 0 || chunkCount > part.Length - part.Position)
        {
            throw new InvalidDataException($"the lexical part claims {chunkCount} chunks in {part.Length - part.Position} bytes");
        }

        for (int c = 0; c < chunkCount; c++)
        {
            ulong key = reader.ReadUInt64();
            int length = reader.ReadInt32();
            int count = reader.ReadInt32();
            if (count <= 0 || count > termCount || length < count)
            {
                throw new InvalidDataException($"the lexical part's chunk {key} claims {count} terms over a length of {length}");
            }

            var chunkTerms = new string[count];
            var frequencies = new int[count];
            for (int t = 0; t < count; t++)
            {
                int id = reader.ReadInt32();
                int tf = reader.ReadInt32();
                if ((uint)id >= (uint)termCount || tf <= 0)
                {
                    throw new InvalidDataException($"the lexical part's chunk {key} holds term {id} with frequency {tf}");
                }

                chunkTerms[t] = terms[id];
                frequencies[t] = tf;
            }

            index.AddChunk(key, length, chunkTerms, frequencies);
        }

        return index;
    }

    /// <summary>One chunk's forward list: its length in terms and its distinct terms with their frequencies.</summary>
    private readonly record struct ChunkTerms(int Length, string[] Terms, int[] Frequencies);

    /// <summary>Makes lexical indexes.</summary>
    internal sealed class Kind(ILogger logger) : IDerivedIndexKind
    {
        public string PartName => Part;

        public IDerivedIndex Load(Stream part, CollectionRecord collection, long sequence)
        {
            try
            {
                return Read(part, collection.Name, sequence);
            }
            catch (EndOfStreamException e)
            {
                throw new InvalidDataException("the lexical part ends early", e);
            }
        }

        public IDerivedIndex Build(IDocumentStore store, CollectionRecord collection, IProgress<long>? progress)
        {
            long started = Stopwatch.GetTimestamp();
            var index = new LexicalIndex(collection.Name, collection.Sequence);
            long documents = 0;
            foreach (StoredDocument document in store.ScanDocuments(collection.Name))
            {
                index.AddDocument(document.Key, document.Text, document.Chunks);
                if (++documents % 1024 == 0)
                {
                    progress?.Report(documents);
                }
            }

            Log.LexicalIndexBuilt(logger, collection.Name, index._chunks.Count, index._postings.Count, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return index;
        }
    }
}
