namespace KrSbert.Probe.Features;

/// <summary>
/// TF-IDF over WordPiece ids (<c>[CLS]</c> and <c>[SEP]</c> left out), the vocabulary capped at the most
/// frequent ids by document frequency, rows L2-normalised. Fitted without labels, on every text.
/// </summary>
internal sealed class TfIdfVectors
{
    /// <summary>The vocabulary cap: keeps the dense baseline within minutes on two cores.</summary>
    public const int MaxVocabulary = 5000;

    private TfIdfVectors(Dictionary<int, int> columns, (int Column, double Weight)[][] rows)
    {
        Columns = columns;
        Rows = rows;
    }

    /// <summary>Kept token id to column.</summary>
    public Dictionary<int, int> Columns { get; }

    /// <summary>Each text's non-zero weights.</summary>
    public (int Column, double Weight)[][] Rows { get; }

    public int Dimension => Columns.Count;

    public static TfIdfVectors Fit(IReadOnlyList<IReadOnlyList<int>> inputIds, int maxVocabulary = MaxVocabulary)
    {
        var documentFrequency = new Dictionary<int, int>();
        foreach (IReadOnlyList<int> ids in inputIds)
        {
            foreach (int id in Content(ids).Distinct())
            {
                documentFrequency[id] = documentFrequency.GetValueOrDefault(id) + 1;
            }
        }

        int[] kept = documentFrequency.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(maxVocabulary).Select(p => p.Key).ToArray();
        var columns = new Dictionary<int, int>(kept.Length);
        for (int i = 0; i < kept.Length; i++)
        {
            columns[kept[i]] = i;
        }

        int n = inputIds.Count;
        var rows = new (int, double)[n][];
        for (int t = 0; t < n; t++)
        {
            var counts = new Dictionary<int, int>();
            foreach (int id in Content(inputIds[t]))
            {
                if (columns.TryGetValue(id, out int column))
                {
                    counts[column] = counts.GetValueOrDefault(column) + 1;
                }
            }

            // Smoothed idf, as scikit-learn's TfidfVectorizer: ln((1 + n) / (1 + df)) + 1.
            var row = counts.Select(c => (c.Key, c.Value * (Math.Log((1.0 + n) / (1.0 + documentFrequency[kept[c.Key]])) + 1))).OrderBy(c => c.Key).ToArray();
            double norm = Math.Sqrt(row.Sum(c => c.Item2 * c.Item2));
            rows[t] = norm > 0 ? row.Select(c => (c.Key, c.Item2 / norm)).ToArray() : row;
        }

        return new TfIdfVectors(columns, rows);
    }

    public double[] Dense(int text)
    {
        var vector = new double[Dimension];
        foreach ((int column, double weight) in Rows[text])
        {
            vector[column] = weight;
        }

        return vector;
    }

    public double Cosine(int a, int b)
    {
        // Rows are unit length and sorted by column: the cosine is a merge of the two lists.
        (int Column, double Weight)[] x = Rows[a], y = Rows[b];
        double dot = 0;
        for (int i = 0, j = 0; i < x.Length && j < y.Length;)
        {
            if (x[i].Column == y[j].Column)
            {
                dot += x[i++].Weight * y[j++].Weight;
            }
            else if (x[i].Column < y[j].Column)
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return dot;
    }

    private static IEnumerable<int> Content(IReadOnlyList<int> ids) => ids.Skip(1).Take(ids.Count - 2);
}
