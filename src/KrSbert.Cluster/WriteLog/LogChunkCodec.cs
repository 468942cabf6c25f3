using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace KrSbert.Cluster.WriteLog;

/// <summary>
/// The bytes of <c>krs_log.chunks</c>: a format byte (1), the chunk count, then per chunk its start, end, token
/// count, token ids, dimension and vector; all little-endian 32-bit. Binary because vectors in JSON are four times
/// larger and slow to parse on every replica.
/// </summary>
internal static class LogChunkCodec
{
    private const byte Format = 1;

    public static byte[] Encode(IReadOnlyList<LogChunk> chunks)
    {
        int size = 1 + 4 + chunks.Sum(c => 16 + (4 * c.TokenIds.Length) + (4 * c.Vector.Length));
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        span[0] = Format;
        int at = 1;
        Write(span, ref at, chunks.Count);
        foreach (LogChunk chunk in chunks)
        {
            Write(span, ref at, chunk.Start);
            Write(span, ref at, chunk.End);
            Write(span, ref at, chunk.TokenIds.Length);
            foreach (int token in chunk.TokenIds)
            {
                Write(span, ref at, token);
            }

            Write(span, ref at, chunk.Vector.Length);
            foreach (float value in chunk.Vector)
            {
                BinaryPrimitives.WriteSingleLittleEndian(span[at..], value);
                at += 4;
            }
        }

        return bytes;
    }

    /// <exception cref="InvalidDataException">The bytes are not chunks this format wrote.</exception>
    public static List<LogChunk> Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 5 || bytes[0] != Format)
        {
            throw new InvalidDataException($"krs_log.chunks has format {(bytes.Length > 0 ? bytes[0] : -1)} and {bytes.Length} bytes; this server reads format {Format}.");
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("the log's chunk format is read on little-endian machines only.");
        }

        int at = 1;
        int count = Count(bytes, ref at, 16);
        var chunks = new List<LogChunk>(count);
        for (int i = 0; i < count; i++)
        {
            int start = Read(bytes, ref at);
            int end = Read(bytes, ref at);
            int tokenCount = Count(bytes, ref at, 4);
            int[] tokens = MemoryMarshal.Cast<byte, int>(bytes.Slice(at, 4 * tokenCount)).ToArray();
            at += 4 * tokenCount;
            int dimension = Count(bytes, ref at, 4);
            float[] vector = MemoryMarshal.Cast<byte, float>(bytes.Slice(at, 4 * dimension)).ToArray();
            at += 4 * dimension;
            chunks.Add(new LogChunk(start, end, tokens, vector));
        }

        return at == bytes.Length ? chunks : throw new InvalidDataException($"krs_log.chunks has {bytes.Length - at} bytes after its last chunk.");
    }

    private static void Write(Span<byte> span, ref int at, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], value);
        at += 4;
    }

    private static int Read(ReadOnlySpan<byte> bytes, ref int at)
    {
        if (bytes.Length - at < 4)
        {
            throw new InvalidDataException("krs_log.chunks ends early.");
        }

        int value = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
        at += 4;
        return value;
    }

    /// <summary>Reads a count of items of <paramref name="itemSize"/> bytes that must fit in what is left.</summary>
    private static int Count(ReadOnlySpan<byte> bytes, ref int at, int itemSize)
    {
        int count = Read(bytes, ref at);
        return count >= 0 && count <= (bytes.Length - at) / itemSize
            ? count
            : throw new InvalidDataException($"krs_log.chunks gives a count of {count} where {(bytes.Length - at) / itemSize} fit.");
    }
}
