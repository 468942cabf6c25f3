using KrSbert.Index.Native;

namespace KrSbert.Index.Snapshots;

/// <summary>A verified snapshot, not yet loaded: the header's options and counts, the keys, and USearch's blob.</summary>
internal sealed class SnapshotContents(HnswOptions options, bool unitVectors, ulong[] keys, long removed, NativeBuffer blob) : IDisposable
{
    public HnswOptions Options { get; } = options;

    /// <summary>Whether the vectors inside are stored at unit length (the header's flag).</summary>
    public bool UnitVectors { get; } = unitVectors;

    public ulong[] Keys { get; } = keys;

    public long Removed { get; } = removed;

    public NativeBuffer Blob { get; } = blob;

    public void Dispose() => Blob.Dispose();
}
