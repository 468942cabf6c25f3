namespace KrSbert.Probe;

/// <summary>How far a stage has come: texts embedded, or (candidate, fold) fits done.</summary>
/// <param name="Stage">"embed" or "folds".</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in the stage.</param>
public readonly record struct ProbeProgress(string Stage, int Done, int Total);
