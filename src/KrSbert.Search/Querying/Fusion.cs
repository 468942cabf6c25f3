namespace KrSbert.Search.Querying;

/// <summary>How a hybrid query fuses its dense and lexical legs. A document missing from a leg gets nothing from it.</summary>
public sealed record Fusion
{
    /// <summary>
    /// A convex combination of normalised scores (the default) or reciprocal rank fusion. Convex is the default
    /// because it keeps how far ahead a leg's best hit is: with the embedded English model, whose dense leg is weak
    /// on Korean, RRF let middling dense ranks outvote a lexical match scoring eight times the next one (the README's
    /// <c>회원 탈퇴 방법</c>), while convex at alpha 0.5 finds every walk-through answer first.
    /// </summary>
    public FusionMethod Method { get; init; } = FusionMethod.Convex;

    /// <summary>RRF's k (60 by default, as in Cormack et al.); at least 0.</summary>
    public double RrfK { get; init; } = 60;

    /// <summary>RRF weight of the dense leg; at least 0.</summary>
    public double DenseWeight { get; init; } = 1;

    /// <summary>RRF weight of the lexical leg; at least 0.</summary>
    public double LexicalWeight { get; init; } = 1;

    /// <summary>Convex weight of the dense leg, 0 to 1 (the lexical leg gets 1 − alpha).</summary>
    public double Alpha { get; init; } = 0.5;

    /// <summary>Throws naming the field that is out of range or not a number.</summary>
    /// <exception cref="ArgumentException">A bad option.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Method))
        {
            throw new ArgumentException($"fusion is {(int)Method}; it must be rrf or convex.", "fusion");
        }

        Check(RrfK, "rrf_k", 0, double.MaxValue);
        Check(DenseWeight, "dense_weight", 0, double.MaxValue);
        Check(LexicalWeight, "lexical_weight", 0, double.MaxValue);
        Check(Alpha, "alpha", 0, 1);
    }

    private static void Check(double value, string field, double min, double max)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            string range = max == double.MaxValue ? $"a finite number of at least {min}" : $"between {min} and {max}";
            throw new ArgumentException($"{field} is {value}; it must be {range}.", field);
        }
    }
}
