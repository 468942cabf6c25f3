namespace KrSbert.Probe.Data;

/// <summary>One input row: a text (and its pair partner for sentence pairs) with its raw label.</summary>
/// <param name="Line">Where the row came from (a file line or a document number), for error messages.</param>
/// <param name="Text">The text.</param>
/// <param name="Pair">The second sentence of a pair; null for single texts.</param>
/// <param name="Label">The label as written; null or empty when the row has none.</param>
public sealed record ProbeExample(long Line, string Text, string? Pair, string? Label);
