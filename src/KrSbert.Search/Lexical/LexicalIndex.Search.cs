using System.Buffers;

namespace KrSbert.Search.Lexical;

internal sealed partial class LexicalIndex
{
    /// <summary>
    /// The best-scoring chunk of each of the top <paramref name="count"/> documents for <paramref name="queryTerms"/>,
    /// best first (ties by chunk key), plus any documents tied with the last, scoring every chunk that holds a query
    /// term and passes <paramref name="filter"/>.
    /// </summary>
    /// <param name="queryTerms">Distinct terms (see <see cref="QueryTerms"/>).</param>
    /// <param name="count">Documents wanted.</param>
    /// <param name="bm25">k1 and b for this query: the collection's (<see cref="Bm25"/>) unless the query sets its own.</param>
    /// <param name="filter">Chunk keys that may be returned; null: all.</param>
    public List<(ulong Key, float Score)> Search(IReadOnlyCollection<string> queryTerms, int count, Bm25 bm25, Func<ulong, bool>? filter)
    {
        int chunks = _ordinals.Count;
        if (chunks == 0 || queryTerms.Count == 0 || count <= 0)
        {
            return [];
        }

        double[] norms = Norms(bm25);
        int slots = _ordinalSlots;
        double[] scores = ArrayPool<double>.Shared.Rent(slots);
        int[] touched = ArrayPool<int>.Shared.Rent(slots);
        try
        {
            scores.AsSpan(0, slots).Clear();
            int touchedCount = 0;
            foreach (string term in queryTerms)
            {
                if (!_termIds.TryGetValue(term, out int id))
                {
                    continue;
                }

                TermPostings postings = _terms[id]!;
                // idf · tf · (k1 + 1) / (tf + norm): the factor before tf is the term's, the norm the chunk's.
                double weight = Bm25.Idf(chunks, postings.Count) * (bm25.K1 + 1);
                ReadOnlySpan<int> ordinals = postings.Ordinals;
                ReadOnlySpan<int> frequencies = postings.Frequencies;
                for (int p = 0; p < ordinals.Length; p++)
                {
                    int ordinal = ordinals[p];
                    double tf = frequencies[p];
                    ref double score = ref scores[ordinal];
                    if (score == 0)
                    {
                        // Every term adds more than 0 (idf and tf are positive), so 0 means not yet touched.
                        touched[touchedCount++] = ordinal;
                    }

                    score += weight * tf / (tf + norms[ordinal]);
                }
            }

            return Top(scores, touched.AsSpan(0, touchedCount), count, filter);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scores);
            ArrayPool<int>.Shared.Return(touched);
        }
    }

    /// <summary>
    /// The best chunk of each of the top <paramref name="count"/> documents among the touched chunks. A bounded heap
    /// keeps the best chunks; when chunks of one document crowd others out, it retries with a larger bound.
    /// </summary>
    private List<(ulong Key, float Score)> Top(double[] scores, ReadOnlySpan<int> touched, int count, Func<ulong, bool>? filter)
    {
        for (int bound = Math.Min(count, touched.Length); ; bound = Math.Min(bound * 4, touched.Length))
        {
            var heap = new PriorityQueue<int, (double Score, ulong Key)>(bound, WorseFirst.Instance);
            (double Score, ulong Key) worst = default;
            foreach (int ordinal in touched)
            {
                double score = scores[ordinal];
                if (heap.Count == bound && score < worst.Score)
                {
                    continue;
                }

                (double Score, ulong Key) entry = (score, _keys[ordinal]);
                if (heap.Count == bound && WorseFirst.Instance.Compare(entry, worst) <= 0)
                {
                    continue;
                }

                // The filter runs only for chunks good enough to enter the heap.
                if (filter is not null && !filter(entry.Key))
                {
                    continue;
                }

                if (heap.Count == bound)
                {
                    heap.EnqueueDequeue(ordinal, entry);
                }
                else
                {
                    heap.Enqueue(ordinal, entry);
                }

                if (heap.Count == bound)
                {
                    heap.TryPeek(out _, out worst);
                }
            }

            bool full = heap.Count == bound;
            var best = new (ulong Key, float Score)[heap.Count];
            for (int i = best.Length - 1; i >= 0; i--)
            {
                heap.TryDequeue(out _, out var entry);
                best[i] = (entry.Key, (float)entry.Score);
            }

            // Best first, so a document's first chunk is its best one (ties: the lower key, which sorts first).
            // Documents tied (in the reported score) with the last one come too, so the caller can break ties by
            // document id; when the heap ends inside such a tie, a larger bound finds the rest.
            var seen = new HashSet<long>();
            var found = new List<(ulong Key, float Score)>(Math.Min(count, best.Length));
            float? cut = null;
            foreach ((ulong key, float score) in best)
            {
                if (score < cut)
                {
                    return found;
                }

                if (seen.Add(Storage.Documents.DocumentKeys.DocumentKey(key)))
                {
                    found.Add((key, score));
                    cut ??= found.Count == count ? score : null;
                }
            }

            // Short chunks tie often in BM25: a tie is followed until the heap holds 16 times k, not into a full sort.
            if (!full || bound == touched.Length || (cut is not null && bound >= count * 16))
            {
                return found;
            }
        }
    }

    /// <summary>Each chunk's k1 · (1 − b + b · length / average length), by ordinal.</summary>
    private double[] Norms(Bm25 bm25)
    {
        LengthNorms? cached = Volatile.Read(ref _norms);
        if (cached is not null && cached.Bm25 == bm25)
        {
            return cached.Values;
        }

        double averageLength = (double)_totalLength / _ordinals.Count;
        var values = new double[_ordinalSlots];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = bm25.K1 * (1 - bm25.B + (bm25.B * _lengths[i] / averageLength));
        }

        if (bm25 == _bm25)
        {
            // Queries read side by side: racing ones compute the same values, and the last to publish wins.
            Volatile.Write(ref _norms, new LengthNorms(bm25, values));
        }

        return values;
    }

    /// <summary>Length normalisers for one k1 and b, valid until the next change.</summary>
    private sealed record LengthNorms(Bm25 Bm25, double[] Values);

    /// <summary>Orders heap entries worst first: the lower score, then the higher key.</summary>
    private sealed class WorseFirst : IComparer<(double Score, ulong Key)>
    {
        public static WorseFirst Instance { get; } = new();

        public int Compare((double Score, ulong Key) x, (double Score, ulong Key) y)
        {
            int byScore = x.Score.CompareTo(y.Score);
            return byScore != 0 ? byScore : y.Key.CompareTo(x.Key);
        }
    }

    /// <summary>One term's postings: the ordinals of the chunks that hold it and its frequency in each, unordered.</summary>
    private sealed class TermPostings(string term)
    {
        private int[] _ordinals = new int[2];
        private int[] _frequencies = new int[2];

        public string Term { get; } = term;

        public int Count { get; private set; }

        public ReadOnlySpan<int> Ordinals => _ordinals.AsSpan(0, Count);

        public ReadOnlySpan<int> Frequencies => _frequencies.AsSpan(0, Count);

        /// <summary>Appends a chunk's posting and returns its position.</summary>
        public int Add(int ordinal, int frequency)
        {
            if (Count == _ordinals.Length)
            {
                Array.Resize(ref _ordinals, Count * 2);
                Array.Resize(ref _frequencies, Count * 2);
            }

            _ordinals[Count] = ordinal;
            _frequencies[Count] = frequency;
            return Count++;
        }

        /// <summary>
        /// Takes the posting at <paramref name="at"/> out, moving the last one into its place; returns the ordinal of
        /// the chunk whose posting moved, or −1 when the removed one was last.
        /// </summary>
        public int Remove(int at)
        {
            int last = --Count;
            int moved = at == last ? -1 : _ordinals[last];
            _ordinals[at] = _ordinals[last];
            _frequencies[at] = _frequencies[last];
            if (Count < _ordinals.Length / 4 && _ordinals.Length > 8)
            {
                Array.Resize(ref _ordinals, _ordinals.Length / 2);
                Array.Resize(ref _frequencies, _frequencies.Length / 2);
            }

            return moved;
        }
    }
}
