using System.Text;

namespace KrSbert.Search.Indexing;

/// <summary>
/// A collection snapshot: one part per derived index, each with the sequence it was taken at. The store checks
/// the whole with its SHA-256; each index checks its own part. A snapshot written before snapshots had parts is
/// one HNSW blob, read as the HNSW part at the snapshot's sequence.
/// </summary>
internal static class SnapshotParts
{
    private static readonly byte[] Magic = "KRSBSNP1"u8.ToArray();

    /// <summary>Writes the parts into one blob.</summary>
    public static byte[] Encode(IReadOnlyList<SnapshotPart> parts)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(parts.Count);
            foreach (SnapshotPart part in parts)
            {
                writer.Write(part.Name);
                writer.Write(part.Sequence);
                writer.Write((long)part.Bytes.Length);
                writer.Write(part.Bytes);
            }
        }

        return stream.ToArray();
    }

    /// <summary>Reads the parts of a blob taken at <paramref name="sequence"/>.</summary>
    /// <exception cref="InvalidDataException">The blob is damaged.</exception>
    public static IReadOnlyList<SnapshotPart> Decode(byte[] blob, long sequence)
    {
        if (!blob.AsSpan().StartsWith(Magic))
        {
            return [new SnapshotPart(VectorIndex.Part, sequence, blob)];
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(blob, writable: false), Encoding.UTF8);
            reader.ReadBytes(Magic.Length);
            int count = reader.ReadInt32();
            var parts = new List<SnapshotPart>(count);
            for (int i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                long partSequence = reader.ReadInt64();
                long length = reader.ReadInt64();
                if (length < 0 || length > blob.Length)
                {
                    throw new InvalidDataException($"snapshot part '{name}' claims {length} bytes of a {blob.Length}-byte snapshot");
                }

                parts.Add(new SnapshotPart(name, partSequence, reader.ReadBytes((int)length)));
            }

            return parts;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the snapshot ends inside a part", e);
        }
    }
}

/// <summary>One derived index's snapshot part.</summary>
internal sealed record SnapshotPart(string Name, long Sequence, byte[] Bytes);
