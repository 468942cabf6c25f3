using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace KrSbert.Index.Native;

/// <summary>
/// <c>usearch_init_options_t</c> from <c>usearch.h</c>, kept blittable (<c>multi</c> as a byte) so that
/// source-generated P/Invoke passes it by pointer without marshalling.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UsearchInitOptions
{
    public MetricKind MetricKind;
    public nint Metric;
    public ScalarKind Quantization;
    public nuint Dimensions;
    public nuint Connectivity;
    public nuint ExpansionAdd;
    public nuint ExpansionSearch;
    public byte Multi;
}
