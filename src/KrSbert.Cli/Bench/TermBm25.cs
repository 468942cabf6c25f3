using KrSbert.Search.Lexical;

namespace KrSbert.Cli.Bench;

/// <summary>
/// BM25 over documents given as term lists, for comparing term units in <c>krsbert bench lexical</c>; the
/// engine's own index (<see cref="KoreanAnalyzer"/> terms) is measured through the engine beside it.
/// </summary>
internal sealed class TermBm25
{
    private readonly Dictionary<string, List<(int Document, int Tf)>> _postings = new(StringComparer.Ordinal);
    private readonly int[] _lengths;
    private readonly double _averageLength;
    private readonly Bm25 _bm25;

    public TermBm25(IReadOnlyList<IReadOnlyList<string>> documents, Bm25 bm25)
    {
        _bm25 = bm25;
        _lengths = new int[documents.Count];
        for (int d = 0; d < documents.Count; d++)
        {
            _lengths[d] = documents[d].Count;
            foreach (var group in documents[d].GroupBy(t => t, StringComparer.Ordinal))
            {
                if (!_postings.TryGetValue(group.Key, out var list))
                {
                    _postings[group.Key] = list = [];
                }

                list.Add((d, group.Count()));
            }
        }

        _averageLength = documents.Count == 0 ? 1 : Math.Max(1e-9, _lengths.Average());
    }

    /// <summary>The top <paramref name="k"/> document indexes for the distinct terms of a query, best first.</summary>
    public int[] Search(IEnumerable<string> query, int k)
    {
        var scores = new Dictionary<int, double>();
        foreach (string term in query.Distinct(StringComparer.Ordinal))
        {
            if (!_postings.TryGetValue(term, out var list))
            {
                continue;
            }

            double idf = Bm25.Idf(_lengths.Length, list.Count);
            foreach ((int document, int tf) in list)
            {
                scores[document] = scores.GetValueOrDefault(document) + _bm25.TermScore(idf, tf, _lengths[document], _averageLength);
            }
        }

        return [.. scores.OrderByDescending(s => s.Value).ThenBy(s => s.Key).Take(k).Select(s => s.Key)];
    }
}
