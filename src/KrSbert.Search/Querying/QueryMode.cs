namespace KrSbert.Search.Querying;

/// <summary>Which legs a query runs.</summary>
public enum QueryMode
{
    /// <summary>Nearest neighbours of the embedded text or the given vector; score is the metric's similarity.</summary>
    Dense = 0,

    /// <summary>BM25 over the <see cref="Lexical.KoreanAnalyzer"/> terms of the text; score is the BM25 score.</summary>
    Lexical = 1,

    /// <summary>Both legs, fused (<see cref="Fusion"/>); score is the fused score.</summary>
    Hybrid = 2,
}
