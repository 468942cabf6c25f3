using System.Buffers;
using System.Runtime.InteropServices;
using KrSbert.Index.Native;

namespace KrSbert.Index;

public sealed partial class HnswIndex
{
    /// <summary>Keys sampled to estimate how many pass a filter.</summary>
    internal const int FilterSampleSize = 512;

    /// <summary>Indexes this small are always scanned when filtered: a scan costs about what one graph search does.</summary>
    internal const int ExactScanCountLimit = 1024;

    private long _exactScans;
    private long _filteredGraphSearches;
    private long _smallMatchScans;

    /// <summary>
    /// The <paramref name="k"/> nearest keys to <paramref name="query"/>, best first (see <see cref="VectorHit.Score"/>).
    /// Returns fewer only when fewer keys exist, or pass <paramref name="filter"/>.
    /// </summary>
    /// <param name="query">A vector of <see cref="HnswOptions.Dimensions"/> finite floats.</param>
    /// <param name="k">How many hits, 1 to <see cref="HnswOptions.MaxExpansion"/>.</param>
    /// <param name="efSearch">The candidate list length for this query (default <see cref="HnswOptions.EfSearch"/>); raised to <paramref name="k"/> when smaller.</param>
    /// <param name="filter">
    /// When given, only keys it accepts are returned. It runs on the calling thread under the index's read lock,
    /// so it must not call back into the index, and may be asked about a key more than once (a sample of keys
    /// estimates how selective it is). Filtered results never come up short because the graph's nearest
    /// entries were filtered out:
    /// <list type="bullet">
    /// <item>when the passing vectors take at most <see cref="HnswOptions.FullScanThresholdBytes"/> as stored
    /// (certain when every vector does, otherwise estimated from a sample of keys), when a scan is estimated to
    /// cost less than the graph search (see <see cref="FilteredSearchPlan.Choose"/>), or when the index is small,
    /// every passing key is scored: the result is exact, over the vectors as stored;</item>
    /// <item>otherwise the graph is searched with the filter applied inside USearch's search: it walks through
    /// rejected entries but keeps only passing ones in its candidate list of ef / pass rate, so the hits are about
    /// as approximate as an unfiltered search at the same ef, not exact. When the walk meets far more rejected
    /// keys than the sample predicts (the filter rejects the query's neighbourhood), the list grows fourfold, up
    /// to an eighth of the index; when it reaches fewer than k passing keys (fewer pass, or removed entries cut
    /// it off from them), or would grow past that, every passing key is scored instead.</item>
    /// </list>
    /// </param>
    /// <exception cref="ArgumentException">The query has the wrong length, a non-finite value, or (cosine) a zero norm.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <paramref name="efSearch"/> is out of range.</exception>
    public VectorHit[] Search(ReadOnlySpan<float> query, int k, int? efSearch = null, Func<ulong, bool>? filter = null)
    {
        ExactSearch.CheckK(k);
        if (efSearch is { } requested && (requested < 1 || requested > HnswOptions.MaxExpansion))
        {
            throw new ArgumentOutOfRangeException(nameof(efSearch), requested, $"efSearch must be between 1 and {HnswOptions.MaxExpansion}; it is {requested}.");
        }

        VectorChecks.Check(query, Options.Dimensions, Options.Metric, nameof(query));
        int ef = Math.Max(efSearch ?? Options.EfSearch, k);
        float[]? unit = UnitQuery(ref query);

        // More concurrent native searches than reserved thread slots fail ("Reserve capacity ahead of searches!").
        _searchSlots.Wait();
        try
        {
            _lock.EnterReadLock();
            try
            {
                ThrowIfDisposed();
                if (_keys.Count == 0)
                {
                    return [];
                }

                return filter is null ? SearchGraph(query, k, ef) : SearchFiltered(query, k, ef, filter);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
        finally
        {
            _searchSlots.Release();
            if (unit is not null)
            {
                ArrayPool<float>.Shared.Return(unit);
            }
        }
    }

    /// <summary>
    /// The exact <paramref name="k"/> nearest keys: every key (passing <paramref name="filter"/>) is scored against its
    /// stored vector. For <c>exact</c> queries and for checking the graph; costs one distance per key.
    /// </summary>
    /// <exception cref="ArgumentException">The query has the wrong length, a non-finite value, or (cosine) a zero norm.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is out of range.</exception>
    public VectorHit[] SearchExact(ReadOnlySpan<float> query, int k, Func<ulong, bool>? filter = null)
    {
        ExactSearch.CheckK(k);
        VectorChecks.Check(query, Options.Dimensions, Options.Metric, nameof(query));
        float[]? unit = UnitQuery(ref query);
        _searchSlots.Wait();
        try
        {
            _lock.EnterReadLock();
            try
            {
                ThrowIfDisposed();
                return ScanExact(query, k, filter);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
        finally
        {
            _searchSlots.Release();
            if (unit is not null)
            {
                ArrayPool<float>.Shared.Return(unit);
            }
        }
    }

    /// <summary>
    /// Against unit vectors the dot product of a unit query is the cosine similarity: points <paramref name="query"/>
    /// at a unit-length copy in a pooled array, returned for the caller to give back, or null when none is needed.
    /// </summary>
    private float[]? UnitQuery(ref ReadOnlySpan<float> query)
    {
        if (!UnitVectors)
        {
            return null;
        }

        float[] unit = ArrayPool<float>.Shared.Rent(query.Length);
        Span<float> destination = unit.AsSpan(0, query.Length);
        Normalize(query, destination);
        query = destination;
        return unit;
    }

    /// <summary>
    /// The score of a stored vector: with a managed kernel the very arithmetic the graph search runs, so that a key
    /// scores the same whether a scan or the graph found it; otherwise <see cref="SimilarityScore.Compute"/>.
    /// </summary>
    private unsafe float ScanScore(ReadOnlySpan<float> query, ReadOnlySpan<float> stored)
    {
        if (!HasManagedKernel)
        {
            return SimilarityScore.Compute(Options.Metric, query, stored);
        }

        fixed (float* q = query)
        fixed (float* v = stored)
        {
            float distance = Options.Metric == VectorMetric.L2
                ? DistanceKernels.SquaredDistance(q, v, query.Length)
                : 1f - DistanceKernels.Dot(q, v, query.Length);
            return SimilarityScore.FromDistance(Options.Metric, distance);
        }
    }

    /// <summary>
    /// The graph's best <paramref name="k"/> with candidate list length <paramref name="ef"/> (at least k).
    /// USearch uses max(its expansion setting, results wanted) as the list length; with the setting at 1,
    /// asking for ef results and keeping k is the per-query ef, and no shared setting changes under
    /// concurrent searches.
    /// </summary>
    private VectorHit[] SearchGraph(ReadOnlySpan<float> query, int k, int ef)
    {
        VectorHit[] candidates = GraphCandidates(query, ef, out _);
        return candidates.Length <= k ? candidates : candidates[..k];
    }

    /// <summary>Native results as hits, best first.</summary>
    private VectorHit[] RankedHits(ReadOnlySpan<ulong> keys, ReadOnlySpan<float> distances)
    {
        var hits = new VectorHit[keys.Length];
        for (int i = 0; i < hits.Length; i++)
        {
            hits[i] = new VectorHit(keys[i], SimilarityScore.FromDistance(Options.Metric, distances[i]));
        }

        // USearch leaves equal distances in no particular order; break ties by key as exact search does.
        Array.Sort(hits, TopKCollector.Compare);
        return hits;
    }

    private VectorHit[] GraphCandidates(ReadOnlySpan<float> query, int wanted, out int found)
    {
        ulong[] keys = ArrayPool<ulong>.Shared.Rent(wanted);
        float[] distances = ArrayPool<float>.Shared.Rent(wanted);
        try
        {
            found = UsearchNative.Search(_native, query, keys.AsSpan(0, wanted), distances.AsSpan(0, wanted));
            return RankedHits(keys.AsSpan(0, found), distances.AsSpan(0, found));
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(keys);
            ArrayPool<float>.Shared.Return(distances);
        }
    }

    private VectorHit[] SearchFiltered(ReadOnlySpan<float> query, int k, int ef, Func<ulong, bool> filter)
    {
        int live = _keys.Count;
        if (live <= ExactScanCountLimit)
        {
            return ScanExact(query, k, filter);
        }

        // When every vector fits the threshold, whatever passes fits too: no estimate, so no estimate to get wrong.
        bool allFit = (double)live * Options.Dimensions * Options.BytesPerScalar <= Options.FullScanThresholdBytes;
        FilteredSearchPlan plan = allFit ? default : FilteredSearchPlan.Choose(Options, live, SamplePassRate(filter), k, ef);
        if (allFit || plan.Path == FilteredSearchPath.ScanSmallMatch)
        {
            Interlocked.Increment(ref _smallMatchScans);
            return ScanExact(query, k, filter);
        }

        if (plan.Path == FilteredSearchPath.ScanCheaper)
        {
            return ScanExact(query, k, filter);
        }

        Interlocked.Increment(ref _filteredGraphSearches);
        double sampledRejection = 1 - (plan.Matching / live);
        // The walk keeps twice the plan's list: measured on hard data (768 dimensions, half passing, `bench index
        // --spread 3`), a list of ef / pass rate left filtered recall 0.012-0.015 below unfiltered at the same ef,
        // and twice that reaches it. The plan's cost estimate keeps the plain list, so the path choice stays as it was.
        for (long wanted = 2 * plan.ListLength; wanted * 8 < live; wanted *= 4)
        {
            VectorHit[] hits = FilteredGraphCandidates(query, (int)wanted, filter, out NativeFilter walk);

            // Short: fewer keys pass than k, or removed entries cut the graph off from the passing ones. Only a
            // scan tells which, and it finds them in the second case.
            if (hits.Length < k)
            {
                break;
            }

            // A filter that rejects the query's neighbourhood while passing most keys elsewhere (it is correlated
            // with position) makes the walk cross a rejected region, and a list of ef is then too short to rank
            // what lies beyond it. That shows as more rejections than the sample predicts: over twice as many, with
            // 32 of slack for the noise of small counts, grows the list fourfold (and ends in a scan).
            if (walk.Rejections <= (2 * walk.Calls * sampledRejection) + 32)
            {
                return hits.Length == k ? hits : hits[..k];
            }
        }

        return ScanExact(query, k, filter);
    }

    /// <summary>
    /// The graph's best <paramref name="wanted"/> keys among those <paramref name="filter"/> accepts. USearch applies
    /// the filter inside its search: rejected entries are walked through but never enter the candidate list, which
    /// holds <paramref name="wanted"/> passing entries.
    /// </summary>
    private unsafe VectorHit[] FilteredGraphCandidates(ReadOnlySpan<float> query, int wanted, Func<ulong, bool> filter, out NativeFilter state)
    {
        state = new NativeFilter(filter);
        GCHandle handle = GCHandle.Alloc(state);
        ulong[] keys = ArrayPool<ulong>.Shared.Rent(wanted);
        float[] distances = ArrayPool<float>.Shared.Rent(wanted);
        try
        {
            int found = UsearchNative.FilteredSearch(_native, query, &NativeFilter.Accepts, GCHandle.ToIntPtr(handle), keys.AsSpan(0, wanted), distances.AsSpan(0, wanted));
            state.ThrowIfFailed();
            return RankedHits(keys.AsSpan(0, found), distances.AsSpan(0, found));
        }
        finally
        {
            handle.Free();
            ArrayPool<ulong>.Shared.Return(keys);
            ArrayPool<float>.Shared.Return(distances);
        }
    }

    /// <summary>The share of an evenly spaced sample of keys that <paramref name="filter"/> accepts.</summary>
    private double SamplePassRate(Func<ulong, bool> filter)
    {
        int live = _keys.Count;
        int sample = Math.Min(live, FilterSampleSize);
        int passed = 0;
        for (int i = 0; i < sample; i++)
        {
            if (filter(_keys[(int)((long)i * live / sample)]))
            {
                passed++;
            }
        }

        return (double)passed / sample;
    }

    private VectorHit[] ScanExact(ReadOnlySpan<float> query, int k, Func<ulong, bool>? filter)
    {
        Interlocked.Increment(ref _exactScans);
        int dimensions = Options.Dimensions;
        float[] vector = ArrayPool<float>.Shared.Rent(dimensions);
        try
        {
            var top = new TopKCollector(Math.Min(k, Math.Max(_keys.Count, 1)));
            Span<float> stored = vector.AsSpan(0, dimensions);

            // The read lock held by the caller keeps Dispose, and so the handle's release, out.
            nint native = _native.DangerousGetHandle();
            foreach (ulong key in _keys.Keys)
            {
                if ((filter is null || filter(key)) && UsearchNative.Get(native, key, stored))
                {
                    top.Offer(key, ScanScore(query, stored));
                }
            }

            return top.ToSortedArray();
        }
        finally
        {
            ArrayPool<float>.Shared.Return(vector);
        }
    }
}
