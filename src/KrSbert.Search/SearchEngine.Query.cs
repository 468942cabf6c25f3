using System.Diagnostics;
using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Index;
using KrSbert.Search.Collections;
using KrSbert.Search.Indexing;
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
    /// <exception cref="ArgumentException">Neither or both of text and vector, a bad vector, top_k below 1, a score_threshold that is not finite, or a bad filter.</exception>
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
        float[] query;
        if (request.Vector is { } vector)
        {
            query = CheckVector(vector, settings, "vector");
        }
        else
        {
            if (!TextSearchable(settings))
            {
                throw new CollectionMismatchException("text", $"collection holds {settings.ModelName} vectors of {settings.Dimension} dimensions ({settings.Pooling}); this server embeds with {Embedder?.Model.Name ?? "no model"}: query with a vector instead");
            }

            long embedStarted = Stopwatch.GetTimestamp();
            var embeddingRequest = new EmbeddingRequest { Pooling = PoolingModes.Parse(settings.Pooling), Normalize = settings.Normalize };
            query = _batcher is not null
                ? (await _batcher.EmbedAsync(request.Text!, embeddingRequest, cancellationToken).ConfigureAwait(false)).Vector
                : (await Embedder!.EmbedAsync([request.Text!], embeddingRequest, cancellationToken).ConfigureAwait(false))[0].Vector;
            embedding = Stopwatch.GetElapsedTime(embedStarted);
        }

        cancellationToken.ThrowIfCancellationRequested();
        long searchStarted = Stopwatch.GetTimestamp();
        Func<ulong, bool>? filter = Filter(target, request);
        List<(long Document, VectorHit Best, CatalogEntry Entry)> documents = target.Read(index =>
        {
            List<(long Document, VectorHit Best)> found = request.Exact
                ? ExactDocuments(index, query, request.TopK, filter)
                : ApproximateDocuments(index, query, request, filter);
            return found.Select(d => (d.Document, d.Best, target.Catalog.Get(d.Document)!)).ToList();
        });
        List<SearchHit> hits = Hydrate(target, documents, request);
        TimeSpan search = Stopwatch.GetElapsedTime(searchStarted);
        return new SearchResult(hits, embedding, search, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Grows the chunk candidate count until k distinct documents are found; when the graph still comes up
    /// short (fewer matching documents than k, removed entries in the graph, many chunks per document),
    /// scores exactly, so a short answer always means fewer documents match.
    /// </summary>
    private static List<(long Document, VectorHit Best)> ApproximateDocuments(HnswIndex index, float[] query, SearchRequest request, Func<ulong, bool>? filter)
    {
        int wanted = request.TopK;
        int limit = Math.Min(index.Count, HnswOptions.MaxExpansion);
        if (limit == 0)
        {
            return [];
        }

        for (int candidates = Math.Min(wanted, limit); ; candidates = Math.Min(candidates * 4, limit))
        {
            VectorHit[] hits = index.Search(query, candidates, request.EfSearch, filter);
            List<(long, VectorHit)> documents = BestPerDocument(hits, wanted);
            if (documents.Count >= wanted)
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

    private static List<(long Document, VectorHit Best)> BestPerDocument(VectorHit[] hits, int wanted)
    {
        // Hits arrive best first, so a document's first hit is its best chunk.
        var seen = new HashSet<long>();
        var documents = new List<(long, VectorHit)>(wanted);
        foreach (VectorHit hit in hits)
        {
            long document = DocumentKeys.DocumentKey(hit.Key);
            if (seen.Add(document))
            {
                documents.Add((document, hit));
                if (documents.Count == wanted)
                {
                    break;
                }
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

    private List<SearchHit> Hydrate(OpenCollection target, List<(long Document, VectorHit Best, CatalogEntry Entry)> documents, SearchRequest request)
    {
        if (request.ScoreThreshold is { } threshold)
        {
            documents = documents.Where(d => d.Best.Score >= threshold).ToList();
        }

        // A document deleted after the search has no text left to show; its hit stays, as the search saw it.
        Dictionary<long, string> texts = request.IncludeText
            ? _store.GetDocumentsByKey(target.Name, documents.Select(d => d.Document)).ToDictionary(d => d.Key, d => d.Text)
            : [];
        var hits = new List<SearchHit>(documents.Count);
        foreach ((long document, VectorHit best, CatalogEntry entry) in documents)
        {
            int chunk = DocumentKeys.ChunkIndex(best.Key);
            (int start, int end) = chunk < entry.Chunks.Length ? entry.Chunks[chunk] : (0, 0);
            hits.Add(new SearchHit(entry.Id, best.Score, texts.GetValueOrDefault(document), request.IncludeMetadata ? entry.Metadata : null, chunk, start, end));
        }

        return hits;
    }

    private void CheckRequest(SearchRequest request)
    {
        if ((request.Text is null) == (request.Vector is null))
        {
            throw new ArgumentException("give exactly one of text and vector.", nameof(request));
        }

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
}
