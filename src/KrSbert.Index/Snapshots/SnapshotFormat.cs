using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using KrSbert.Index.Native;

namespace KrSbert.Index.Snapshots;

/// <summary>
/// The snapshot layout: a fixed header, then the payload (the live keys, then USearch's own serialisation).
/// All integers are little-endian.
/// <code>
/// offset size  field
///      0    8  magic "KRSBHNSW"
///      8    4  format version (1)
///     12    4  header length (96)
///     16    4  dimensions
///     20    1  metric (0 cosine, 1 inner product, 2 L2)
///     21    1  storage (0 f32, 1 f16, 2 i8)
///     22    1  flags: bit 0 set when the vectors are stored at unit length (cosine indexes since
///                 issue 12; without it a cosine index is searched with USearch's own cosine kernel)
///     23    1  reserved, 0
///     24    4  M
///     28    4  ef construction
///     32    4  ef search
///     36    4  reserved, 0
///     40    8  live key count n
///     48    8  removed (tombstone) count
///     56    8  payload length: 8n + the USearch blob
///     64   16  XXH128 of the payload (canonical, big-endian bytes)
///     80    8  reserved, 0
///     88    8  XXH64 of bytes 0..87 (canonical)
///     96       payload: n keys (u64), then the USearch blob
/// </code>
/// The header hash is checked before any field is trusted, the payload hash before any payload byte reaches
/// native code: a flipped bit anywhere is reported, never loaded.
/// </summary>
internal static class SnapshotFormat
{
    public const uint Version = 1;
    public const int HeaderLength = 96;

    public const int VersionOffset = 8;
    public const int HeaderLengthOffset = 12;
    public const int DimensionsOffset = 16;
    public const int MetricOffset = 20;
    public const int StorageOffset = 21;
    public const int FlagsOffset = 22;

    /// <summary>Flag bit: the vectors are stored scaled to unit length.</summary>
    public const byte UnitVectorsFlag = 1;
    public const int MOffset = 24;
    public const int EfConstructionOffset = 28;
    public const int EfSearchOffset = 32;
    public const int CountOffset = 40;
    public const int RemovedOffset = 48;
    public const int PayloadLengthOffset = 56;
    public const int PayloadHashOffset = 64;
    public const int HeaderHashOffset = 88;

    private const int KeysPerChunk = NativeBuffer.ChunkBytes / sizeof(ulong);

    public static ReadOnlySpan<byte> Magic => "KRSBHNSW"u8;

    public static void Write(Stream destination, HnswOptions options, bool unitVectors, ulong[] keys, long removed, NativeBuffer blob)
    {
        long payloadLength = ((long)keys.Length * sizeof(ulong)) + blob.Length;
        var payloadHash = new XxHash128();
        ForEachKeyChunk(keys, chunk => payloadHash.Append(chunk));
        for (long offset = 0; offset < blob.Length; offset += NativeBuffer.ChunkBytes)
        {
            payloadHash.Append(blob.Chunk(offset));
        }

        Span<byte> header = stackalloc byte[HeaderLength];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[HeaderLengthOffset..], HeaderLength);
        BinaryPrimitives.WriteInt32LittleEndian(header[DimensionsOffset..], options.Dimensions);
        header[MetricOffset] = (byte)options.Metric;
        header[StorageOffset] = (byte)options.Storage;
        header[FlagsOffset] = unitVectors ? UnitVectorsFlag : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(header[MOffset..], options.M);
        BinaryPrimitives.WriteInt32LittleEndian(header[EfConstructionOffset..], options.EfConstruction);
        BinaryPrimitives.WriteInt32LittleEndian(header[EfSearchOffset..], options.EfSearch);
        BinaryPrimitives.WriteInt64LittleEndian(header[CountOffset..], keys.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[RemovedOffset..], removed);
        BinaryPrimitives.WriteInt64LittleEndian(header[PayloadLengthOffset..], payloadLength);
        payloadHash.GetHashAndReset(header.Slice(PayloadHashOffset, 16));
        XxHash64.Hash(header[..HeaderHashOffset], header[HeaderHashOffset..]);

        destination.Write(header);
        ForEachKeyChunk(keys, chunk => destination.Write(chunk));
        for (long offset = 0; offset < blob.Length; offset += NativeBuffer.ChunkBytes)
        {
            destination.Write(blob.Chunk(offset));
        }
    }

    /// <summary>Reads and verifies one snapshot; the caller owns the returned blob.</summary>
    /// <exception cref="IndexSnapshotCorruptException">Anything fails verification.</exception>
    public static SnapshotContents Read(Stream source)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        int got = source.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false);
        if (got < HeaderLength)
        {
            throw new IndexSnapshotCorruptException($"Truncated snapshot: {got} bytes, less than the {HeaderLength}-byte header.");
        }

        if (!header[..Magic.Length].SequenceEqual(Magic))
        {
            throw new IndexSnapshotCorruptException("Not an index snapshot: the magic bytes are not \"KRSBHNSW\".");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[VersionOffset..]);
        if (version != Version)
        {
            throw new IndexSnapshotCorruptException($"Snapshot format version {version} is not readable by this build, which reads version {Version}.");
        }

        Span<byte> headerHash = stackalloc byte[8];
        XxHash64.Hash(header[..HeaderHashOffset], headerHash);
        if (!headerHash.SequenceEqual(header[HeaderHashOffset..]))
        {
            throw new IndexSnapshotCorruptException("Snapshot header checksum mismatch.");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header[HeaderLengthOffset..]) != HeaderLength)
        {
            throw new IndexSnapshotCorruptException($"Snapshot header length is not {HeaderLength}.");
        }

        var options = new HnswOptions
        {
            Dimensions = BinaryPrimitives.ReadInt32LittleEndian(header[DimensionsOffset..]),
            Metric = (VectorMetric)header[MetricOffset],
            Storage = (VectorStorage)header[StorageOffset],
            M = BinaryPrimitives.ReadInt32LittleEndian(header[MOffset..]),
            EfConstruction = BinaryPrimitives.ReadInt32LittleEndian(header[EfConstructionOffset..]),
            EfSearch = BinaryPrimitives.ReadInt32LittleEndian(header[EfSearchOffset..]),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new IndexSnapshotCorruptException($"Snapshot options are invalid: {e.Message}", e);
        }

        byte flags = header[FlagsOffset];
        if ((flags & ~UnitVectorsFlag) != 0)
        {
            throw new IndexSnapshotCorruptException($"Snapshot flags 0x{flags:X2} include bits this build does not know.");
        }

        // Only cosine stores unit vectors; the flag on another metric would normalise every vector added later.
        if ((flags & UnitVectorsFlag) != 0 && options.Metric != VectorMetric.Cosine)
        {
            throw new IndexSnapshotCorruptException($"Snapshot marks its vectors as unit vectors under the {options.Metric} metric; only cosine stores them.");
        }

        long count = BinaryPrimitives.ReadInt64LittleEndian(header[CountOffset..]);
        long removed = BinaryPrimitives.ReadInt64LittleEndian(header[RemovedOffset..]);
        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(header[PayloadLengthOffset..]);
        if (count < 0 || count > Array.MaxLength || removed < 0 || payloadLength <= count * sizeof(ulong))
        {
            throw new IndexSnapshotCorruptException($"Snapshot header is inconsistent: {count} keys, {removed} removed, payload of {payloadLength} bytes.");
        }

        if (source.CanSeek && payloadLength > source.Length - source.Position)
        {
            throw new IndexSnapshotCorruptException($"Truncated snapshot: the payload is {payloadLength} bytes, {source.Length - source.Position} remain.");
        }

        byte[] expectedHash = header.Slice(PayloadHashOffset, 16).ToArray();
        var keys = new ulong[count];
        NativeBuffer blob = new(payloadLength - (count * sizeof(ulong)));
        try
        {
            var payloadHash = new XxHash128();
            long read = 0;
            ForEachKeyChunk(keys, chunk =>
            {
                read += ReadFully(source, chunk, payloadLength, read);
                payloadHash.Append(chunk);
            });
            for (long offset = 0; offset < blob.Length; offset += NativeBuffer.ChunkBytes)
            {
                Span<byte> chunk = blob.Chunk(offset);
                read += ReadFully(source, chunk, payloadLength, read);
                payloadHash.Append(chunk);
            }

            if (!payloadHash.GetHashAndReset().AsSpan().SequenceEqual(expectedHash))
            {
                throw new IndexSnapshotCorruptException("Snapshot payload checksum mismatch.");
            }

            return new SnapshotContents(options, (flags & UnitVectorsFlag) != 0, keys, removed, blob);
        }
        catch
        {
            blob.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands the keys to <paramref name="action"/> as little-endian bytes, a chunk at a time. On a big-endian
    /// machine each chunk is swapped before and after, which serves writing (native to file order) and
    /// reading (the action fills file order, the second swap makes it native) alike.
    /// </summary>
    private static void ForEachKeyChunk(ulong[] keys, SpanAction action)
    {
        for (int start = 0; start < keys.Length; start += KeysPerChunk)
        {
            Span<ulong> chunk = keys.AsSpan(start, Math.Min(KeysPerChunk, keys.Length - start));
            if (!BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.ReverseEndianness(chunk, chunk);
            }

            action(MemoryMarshal.AsBytes(chunk));
            if (!BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.ReverseEndianness(chunk, chunk);
            }
        }
    }

    private static int ReadFully(Stream source, Span<byte> chunk, long payloadLength, long readSoFar)
    {
        int got = source.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
        if (got < chunk.Length)
        {
            throw new IndexSnapshotCorruptException($"Truncated snapshot: the payload is {payloadLength} bytes, the stream ended after {readSoFar + got}.");
        }

        return got;
    }

    private delegate void SpanAction(Span<byte> chunk);
}
