using System.Runtime.InteropServices;

namespace KrSbert.Index.Native;

/// <summary>
/// Unmanaged memory for a serialised index: it can exceed the 2 GiB of a managed array and stays off the
/// large-object heap. Read and written in chunks of at most <see cref="ChunkBytes"/>.
/// </summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    public const int ChunkBytes = 1 << 20;

    private byte* _data;

    public NativeBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _data = (byte*)NativeMemory.Alloc((nuint)Math.Max(length, 1));
    }

    public long Length { get; }

    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return _data;
        }
    }

    /// <summary>The chunk that starts at <paramref name="offset"/>: up to <see cref="ChunkBytes"/> bytes.</summary>
    public Span<byte> Chunk(long offset) => new(Pointer + offset, (int)Math.Min(ChunkBytes, Length - offset));

    public void Dispose()
    {
        NativeMemory.Free(_data);
        _data = null;
    }
}
