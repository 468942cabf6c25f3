using KrSbert.Storage.Collections;

namespace KrSbert.Search.Lexical;

/// <summary>
/// Okapi BM25 with Lucene's non-negative idf: idf = ln(1 + (N − df + 0.5) / (df + 0.5)), and a term scores
/// idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b · length / average length)). Lengths count analyzer terms.
/// </summary>
/// <param name="K1">Term-frequency saturation (0 to <see cref="MaxK1"/>).</param>
/// <param name="B">Length normalisation (0 to 1).</param>
public readonly record struct Bm25(double K1, double B)
{
    /// <summary>k1 0.9 and b 0.4: the values the Korean paraphrase-retrieval measurements in issue 9 used.</summary>
    public static Bm25 Default { get; } = new(CollectionSettings.DefaultBm25K1, CollectionSettings.DefaultBm25B);

    /// <summary>A collection's k1 and b, as it was created with them.</summary>
    public static Bm25 Of(CollectionSettings settings) => new(settings.Bm25K1, settings.Bm25B);

    /// <summary>These values with <paramref name="k1"/> and <paramref name="b"/> in place of them where given.</summary>
    public Bm25 With(double? k1, double? b) => new(k1 ?? K1, b ?? B);

    /// <summary>The largest k1 accepted: far past where BM25 stops saturating term frequency, and small enough that
    /// idf · (k1 + 1) cannot overflow, since a collection keeps its k1 for every later query.</summary>
    public const double MaxK1 = 1000;

    /// <summary>Throws unless k1 is in [0, <see cref="MaxK1"/>] and b in [0, 1], naming the field.</summary>
    /// <exception cref="ArgumentException">A parameter is out of range or not a number.</exception>
    public void Validate()
    {
        if (!double.IsFinite(K1) || K1 is < 0 or > MaxK1)
        {
            throw new ArgumentException($"bm25_k1 is {K1}; it must be a number from 0 to {MaxK1}.", "bm25_k1");
        }

        if (!double.IsFinite(B) || B is < 0 or > 1)
        {
            throw new ArgumentException($"bm25_b is {B}; it must be between 0 and 1.", "bm25_b");
        }
    }

    /// <summary>The inverse document frequency of a term found in <paramref name="df"/> of <paramref name="n"/> chunks.</summary>
    public static double Idf(int n, int df) => Math.Log(1 + ((n - df + 0.5) / (df + 0.5)));

    /// <summary>One query term's contribution to a chunk's score.</summary>
    public double TermScore(double idf, int tf, int length, double averageLength) =>
        idf * tf * (K1 + 1) / (tf + (K1 * (1 - B + (B * length / averageLength))));
}
