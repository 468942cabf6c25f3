using System.Diagnostics;
using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Index;
using KrSbert.Search.Collections;
using KrSbert.Search.Indexing;
using KrSbert.Search.Lexical;
using KrSbert.Search.Querying;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Search;

public sealed partial class SearchEngine
{
    /// <summary>
    /// The top-k documents for a text or vector query, a document scoring as its best chunk. With a filter, the
    /// result holds k documents whenever at least k match. It is the true top-k among them when
    /// <see cref="SearchRequest.Exact"/> is set, or when the index scans every matching chunk: when their vectors
    /// fit <see cref="HnswOptions.FullScanThresholdBytes"/> (10 MiB by default) or a scan is estimated cheaper
    /// than the graph. Otherwise the graph is searched with the filter applied inside the search (ef / pass rate
    /// matching candidates), which is about as approximate as an unfiltered search at the same ef.
    /// </summary>
    /// <exception cref="ArgumentException">Neither or both of text and vector (both only in hybrid mode), an unknown mode, candidates below 1, bad fusion options, a bad vector, top_k below 1, a score_threshold that is not finite, or a bad filter.</exception>
    /// <exception cref="LimitExceededException">top_k is over the limit.</exception>
    /// <exception cref="CollectionMismatchException">The vector's dimension or the collection's model does not fit.</exception>
    public async Task<SearchResult> SearchAsync(string collection, SearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        long started = Stopwatch.GetTimestamp();
        OpenCollection target = Require(collection);
        CollectionSettings settings = target.Record.Settings;
        CheckRequest(request);

        TimeSpan embedding = TimeSpan.Zero;
        float[]? query = null;
        if (request.Vector is { } vector)
        {
            query = CheckVector(vector, settings, "vector");
        }
        else if (request.Mode != QueryMode.Lexical)
        {
            long embedStarted = Stopwatch.GetTimestamp();
            query = await EmbedQueryAsync(settings, request.Text!, cancellationToken).ConfigureAwait(false);
            embedding = Stopwatch.GetElapsedTime(embedStarted);
        }

        cancellationToken.ThrowIfCancellationRequested();
        long searchStarted = Stopwatch.GetTimestamp();
        Func<ulong, bool>? filter = Filter(target, request);
        IReadOnlyCollection<string> terms = request.Mode != QueryMode.Dense && request.Text is { } text ? LexicalIndex.QueryTerms(text) : [];
        List<(Found Found, CatalogEntry Entry)> documents = target.Read((index, lexical) =>
        {
            DocumentCatalog catalog = target.Catalog;
            List<Found> found = request.Mode switch
            {
                QueryMode.Dense => DenseLeg(index, catalog, query!, request, request.TopK, filter),
                QueryMode.Lexical => LexicalLeg(lexical, catalog, terms, request.TopK, request.Bm25Within(lexical.Bm25), filter),
                _ => HybridFusion.Fuse(
                    query is null ? [] : DenseLeg(index, catalog, query, request, Candidates(request), filter),
                    LexicalLeg(lexical, catalog, terms, Candidates(request), request.Bm25Within(lexical.Bm25), filter),
                    request.Fusion,
                    request.TopK),
            };
            // Entries are read with the hits, so a document deleted after the search still shows as the search saw it.
            var entries = new List<(Found, CatalogEntry)>(found.Count);
            foreach (Found d in found)
            {
                if ((request.ScoreThreshold is not { } threshold || d.Score >= threshold) && catalog.Get(d.Document) is { } entry)
                {
                    entries.Add((d, entry));
                }
            }

            return entries;
        });
        List<SearchHit> hits = Hydrate(target, documents, request);
        TimeSpan search = Stopwatch.GetElapsedTime(searchStarted);
        return new SearchResult(hits, embedding, search, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Runs a read of a collection's HNSW and lexical indexes together (for tests and tools inside the engine).</summary>
    internal T ReadIndexes<T>(string collection, Func<HnswIndex, LexicalIndex, T> read) => Require(collection).Read(read);

    /// <summary>Documents each leg of a hybrid query contributes: as asked, or max(4 × top_k, 100); never over the expansion limit.</summary>
    private static int Candidates(SearchRequest request) =>
        Math.Min(request.Candidates ?? Math.Max(4 * request.TopK, 100), HnswOptions.MaxExpansion);

    private static List<Found> DenseLeg(HnswIndex index, DocumentCatalog catalog, float[] query, SearchRequest request, int wanted, Func<ulong, bool>? filter)
    {
        List<(long Document, VectorHit Best)> found = request.Exact
            ? ExactDocuments(index, query, wanted, filter)
            : ApproximateDocuments(index, query, wanted, request.EfSearch, filter);
        return Ranked(catalog, found.Select(d => (d.Document, d.Best.Key, d.Best.Score)), wanted, dense: true);
    }

    private static List<Found> LexicalLeg(LexicalIndex index, DocumentCatalog catalog, IReadOnlyCollection<string> terms, int wanted, Bm25 bm25, Func<ulong, bool>? filter) =>
        Ranked(catalog, index.Search(terms, wanted, bm25, filter).Select(h => (DocumentKeys.DocumentKey(h.Key), h.Key, h.Score)), wanted, dense: false);

    /// <summary>
    /// The top <paramref name="wanted"/> of a leg's documents by score, then document id (ordinal): the order a router
    /// merging shards reproduces, which the internal key (assigned per store) cannot give. The leg hands in the
    /// documents tied with its last one, so the cut at <paramref name="wanted"/> falls by id too.
    /// </summary>
    private static List<Found> Ranked(DocumentCatalog catalog, IEnumerable<(long Document, ulong ChunkKey, float Score)> documents, int wanted, bool dense)
    {
        var named = new List<(long Document, ulong ChunkKey, float Score, string Id)>();
        foreach ((long document, ulong chunkKey, float score) in documents)
        {
            if (catalog.Get(document)?.Id is { } id)
            {
                named.Add((document, chunkKey, score, id));
            }
        }

        // A document appears once per leg, so score then id is a total order and an unstable sort is enough.
        named.Sort(static (a, b) => b.Score.CompareTo(a.Score) is var byScore and not 0 ? byScore : string.CompareOrdinal(a.Id, b.Id));
        int count = Math.Min(wanted, named.Count);
        var ranked = new List<Found>(count);
        for (int i = 0; i < count; i++)
        {
            (long document, ulong chunkKey, float score, string id) = named[i];
            var leg = new LegScore(i + 1, score);
            ranked.Add(new Found(document, id, chunkKey, score, dense ? leg : null, dense ? null : leg));
        }

        return ranked;
    }

    /// <summary>Candidate growths spent following a tie at the k-th document (each multiplies the candidates by 4).</summary>
    private const int MaxTieRounds = 2;

    /// <summary>
    /// Grows the chunk candidate count until k distinct documents are found (and the documents tied with the k-th,
    /// so ids break the tie); when the graph still comes up short (fewer matching documents than k, removed entries
    /// in the graph, many chunks per document), scores exactly, so a short answer always means fewer documents match.
    /// </summary>
    private static List<(long Document, VectorHit Best)> ApproximateDocuments(HnswIndex index, float[] query, int wanted, int? efSearch, Func<ulong, bool>? filter)
    {
        int limit = Math.Min(index.Count, HnswOptions.MaxExpansion);
        if (limit == 0)
        {
            return [];
        }

        // One chunk beyond k shows whether the k-th document's score goes on in a tie.
        int tieRounds = 0;
        for (int candidates = Math.Min(wanted + 1, limit); ; candidates = Math.Min(candidates * 4, limit))
        {
            VectorHit[] hits = index.Search(query, candidates, efSearch, filter);
            List<(long Document, VectorHit Best)> documents = BestPerDocument(hits, wanted);

            // A full answer whose last hit ties with the last document may hide more of the tie, which ids must break.
            // Duplicated texts can tie by the thousand: the tie is followed for two rounds (16 times the candidates),
            // not up to the expansion limit on every query, and beyond that the tie falls by id among those found.
            bool tieMayGoOn = hits.Length == candidates && documents.Count > 0 && hits[^1].Score >= documents[^1].Best.Score;
            if (documents.Count >= wanted && (!tieMayGoOn || candidates >= limit || tieRounds++ == MaxTieRounds))
            {
                return documents;
            }

            if (candidates >= limit)
            {
                return ExactDocuments(index, query, wanted, filter);
            }
        }
    }

    /// <summary>Scores every indexed vector of matching documents (brute force over the index's own copies).</summary>
    private static List<(long Document, VectorHit Best)> ExactDocuments(HnswIndex index, float[] query, int wanted, Func<ulong, bool>? filter)
    {

        // Chunks are ranked (up to the index's limit on k), so a document's best chunk is found even below others.
        VectorHit[] hits = index.Count == 0 ? [] : index.SearchExact(query, Math.Min(index.Count, HnswOptions.MaxExpansion), filter);
        return BestPerDocument(hits, wanted);
    }

    /// <summary>
    /// The first <paramref name="wanted"/> documents of best-first chunk hits, plus any that tie with the last of
    /// them, so the caller can break the tie by document id.
    /// </summary>
    private static List<(long Document, VectorHit Best)> BestPerDocument(VectorHit[] hits, int wanted)
    {
        // Hits arrive best first, so a document's first hit is its best chunk.
        var seen = new HashSet<long>();
        var documents = new List<(long, VectorHit)>(wanted);
        foreach (VectorHit hit in hits)
        {
            if (documents.Count >= wanted && hit.Score < documents[^1].Item2.Score)
            {
                break;
            }

            long document = DocumentKeys.DocumentKey(hit.Key);
            if (seen.Add(document))
            {
                documents.Add((document, hit));
            }
        }

        return documents;
    }

    private static Func<ulong, bool>? Filter(OpenCollection target, SearchRequest request)
    {
        if (request.Filter.IsEmpty)
        {
            return null;
        }

        DocumentCatalog catalog = target.Catalog;
        return key => catalog.Get(DocumentKeys.DocumentKey(key)) is { } entry && request.Filter.Matches(entry.Metadata);
    }

    private List<SearchHit> Hydrate(OpenCollection target, List<(Found Found, CatalogEntry Entry)> documents, SearchRequest request)
    {
        // One indexed read that loads only the texts, and none when text is not asked for; metadata comes from
        // the catalog. A document deleted after the search has no text left to show; its hit stays, as the search saw it.
        IReadOnlyDictionary<long, string>? texts = null;
        if (request.IncludeText && documents.Count > 0)
        {
            var keys = new long[documents.Count];
            for (int i = 0; i < keys.Length; i++)
            {
                keys[i] = documents[i].Found.Document;
            }

            texts = _store.GetTextsByKey(target.Name, keys);
        }

        var hits = new List<SearchHit>(documents.Count);
        foreach ((Found found, CatalogEntry entry) in documents)
        {
            int chunk = DocumentKeys.ChunkIndex(found.ChunkKey);
            (int start, int end) = chunk < entry.Chunks.Length ? entry.Chunks[chunk] : (0, 0);
            hits.Add(new SearchHit(entry.Id, found.Score, texts?.GetValueOrDefault(found.Document), request.IncludeMetadata ? entry.Metadata : null, chunk, start, end)
            {
                Explanation = request.Explain ? new HitExplanation(found.Dense, found.Lexical) : null,
            });
        }

        return hits;
    }

    private void CheckRequest(SearchRequest request)
    {
        if (!Enum.IsDefined(request.Mode))
        {
            throw new ArgumentException($"mode is {(int)request.Mode}; it must be dense, lexical or hybrid.", nameof(request));
        }

        if (request.Mode == QueryMode.Lexical && request.Text is null)
        {
            throw new ArgumentException("a lexical query needs text.", nameof(request));
        }

        // A hybrid query on a collection of one's own vectors gives both: text for the lexical leg, the vector for the dense one.
        if ((request.Text is null) == (request.Vector is null) && !(request.Mode == QueryMode.Hybrid && request.Text is not null))
        {
            throw new ArgumentException("give exactly one of text and vector.", nameof(request));
        }

        if (request.Candidates is < 1)
        {
            throw new ArgumentException($"candidates is {request.Candidates}; it must be at least 1.", nameof(request));
        }

        ArgumentNullException.ThrowIfNull(request.Fusion, nameof(request));
        request.Fusion.Validate();
        // A query's own k1 or b is checked alone: the collection's were checked when it was created.
        Bm25.Default.With(request.Bm25K1, request.Bm25B).Validate();

        if (request.Text is not null && string.IsNullOrWhiteSpace(request.Text))
        {
            throw new ArgumentException("text is empty or only whitespace.", nameof(request));
        }

        if (request.TopK < 1)
        {
            throw new ArgumentException($"top_k is {request.TopK}; it must be at least 1.", nameof(request));
        }

        if (request.TopK > _options.MaxTopK)
        {
            throw new LimitExceededException("top_k", request.TopK, _options.MaxTopK);
        }

        if (request.EfSearch is < 1 or > 10_000)
        {
            throw new ArgumentException($"ef_search is {request.EfSearch}; it must be between 1 and 10000.", nameof(request));
        }

        if (request.ScoreThreshold is { } threshold && !float.IsFinite(threshold))
        {
            // NaN compares false with every score, so it would silently return no hits.
            throw new ArgumentException($"score_threshold is {(float.IsNaN(threshold) ? "NaN" : threshold > 0 ? "Infinity" : "-Infinity")}; it must be a finite number.", nameof(request));
        }

        request.Filter.Validate();
    }

    private static float[] CheckVector(float[] vector, CollectionSettings settings, string field)
    {
        if (vector.Length != settings.Dimension)
        {
            throw new CollectionMismatchException(field, $"{field} has {vector.Length} dimensions; the collection's are {settings.Dimension}.");
        }

        return VectorRules.Violation(vector, settings.Dimension, IndexSettings.Metric(settings.Metric)) is { } violation
            ? throw new ArgumentException($"{field} {violation}.", field)
            : vector;
    }

    /// <summary>
    /// The query vector of <paramref name="text"/> for <paramref name="collection"/>: embedded with its pooling and
    /// normalisation, once this engine's embedder is known to match the collection's vectors (the same model,
    /// pooling dimension and precision). A cluster router, which embeds for its shards, calls this too.
    /// </summary>
    /// <exception cref="CollectionMismatchException">The model or its precision differs (fields <c>text</c>, <c>model_precision</c>).</exception>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    public Task<float[]> EmbedQueryAsync(string collection, string text, CancellationToken cancellationToken = default) =>
        EmbedQueryAsync(Require(collection).Record.Settings, text, cancellationToken);

    private async Task<float[]> EmbedQueryAsync(CollectionSettings settings, string text, CancellationToken cancellationToken)
    {
        RequireSamePrecision(settings);
        if (!TextSearchable(settings))
        {
            throw new CollectionMismatchException("text", $"collection holds {settings.ModelName} vectors of {settings.Dimension} dimensions ({settings.Pooling}); this server embeds with {Embedder?.Model.Name ?? "no model"}: query with a vector instead");
        }

        var request = new EmbeddingRequest { Pooling = PoolingModes.Parse(settings.Pooling), Normalize = settings.Normalize };
        return _batcher is not null
            ? (await _batcher.EmbedAsync(text, request, cancellationToken).ConfigureAwait(false)).Vector
            : (await Embedder!.EmbedAsync([text], request, cancellationToken).ConfigureAwait(false))[0].Vector;
    }
}
