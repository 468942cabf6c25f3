namespace KrSbert.Probe.Features;

/// <summary>One feature set to probe: a pooling (or pair combination of one) or a baseline.</summary>
/// <param name="Name">Its name in the report.</param>
/// <param name="IsBaseline">Whether it is a baseline rather than a pooling.</param>
/// <param name="Features">One row per example; null for the constant baseline (mean or majority class).</param>
public sealed record ProbeCandidate(string Name, bool IsBaseline, double[][]? Features)
{
    /// <summary>The feature width (0 for the constant baseline).</summary>
    public int Dimension => Features is { Length: > 0 } f ? f[0].Length : 0;
}
