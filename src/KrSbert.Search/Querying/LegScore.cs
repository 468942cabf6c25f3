namespace KrSbert.Search.Querying;

/// <summary>Where a hit stood in one leg of a query: its rank (from 1) and that leg's score.</summary>
public sealed record LegScore(int Rank, float Score);

/// <summary>A hit's standing in each leg; a leg that did not find it is null.</summary>
public sealed record HitExplanation(LegScore? Dense, LegScore? Lexical);
