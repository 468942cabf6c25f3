namespace KrSbert.Search.Querying;

/// <summary>How a hybrid query combines its legs.</summary>
public enum FusionMethod
{
    /// <summary>Reciprocal rank fusion: Σ weight / (k + rank), rank counted from 1 in each leg.</summary>
    Rrf = 0,

    /// <summary>alpha · dense + (1 − alpha) · lexical, each leg's scores min-max normalised over its candidates.</summary>
    Convex = 1,
}
