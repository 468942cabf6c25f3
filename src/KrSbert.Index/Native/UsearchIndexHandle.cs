using System.Runtime.InteropServices;

namespace KrSbert.Index.Native;

/// <summary>
/// Owns one native <c>usearch_index_t</c>. A <see cref="SafeHandle"/> so that a call in flight keeps the index
/// alive and a forgotten <see cref="HnswIndex"/> still frees its memory.
/// </summary>
internal sealed class UsearchIndexHandle : SafeHandle
{
    public UsearchIndexHandle(nint handle)
        : base(0, ownsHandle: true)
    {
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        UsearchNative.Free(handle);
        return true;
    }
}
