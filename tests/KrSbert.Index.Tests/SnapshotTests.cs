using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using KrSbert.Index.Tests.TestSupport;

namespace KrSbert.Index.Tests;

public class SnapshotTests
{
    private static readonly ClusteredData s_data = new(count: 2_000, dimensions: 32, queries: 20, seed: 11);

    private static byte[] Snapshot(HnswIndex index)
    {
        using var stream = new MemoryStream();
        index.Save(stream);
        return stream.ToArray();
    }

    private static HnswIndex Load(byte[] bytes) => HnswIndex.Load(new MemoryStream(bytes, writable: false));

    private static HnswIndex BuildWithRemovals(HnswOptions? options = null)
    {
        HnswIndex index = s_data.BuildIndex(options ?? new HnswOptions { Dimensions = 32, M = 12, EfConstruction = 100, EfSearch = 40 });
        for (int i = 0; i < 100; i++)
        {
            index.Remove(s_data.Keys[i * 7]);
        }

        return index;
    }

    [Theory]
    [InlineData(VectorMetric.Cosine, VectorStorage.F32)]
    [InlineData(VectorMetric.InnerProduct, VectorStorage.F16)]
    [InlineData(VectorMetric.L2, VectorStorage.F32)]
    [InlineData(VectorMetric.Cosine, VectorStorage.I8)]
    public void A_round_trip_gives_identical_search_results_options_and_counts(VectorMetric metric, VectorStorage storage)
    {
        var options = new HnswOptions { Dimensions = 32, Metric = metric, Storage = storage, M = 12, EfConstruction = 100, EfSearch = 40 };
        using HnswIndex original = BuildWithRemovals(options);

        using HnswIndex loaded = Load(Snapshot(original));

        Assert.Equal(original.Options, loaded.Options);
        Assert.Equal(original.Count, loaded.Count);
        Assert.Equal(original.RemovedCount, loaded.RemovedCount);
        Assert.False(loaded.Contains(s_data.Keys[0]));
        for (int q = 0; q < s_data.QueryCount; q++)
        {
            Assert.Equal(original.Search(s_data.Query(q), 10), loaded.Search(s_data.Query(q), 10));
            Assert.Equal(original.Search(s_data.Query(q), 10, 128), loaded.Search(s_data.Query(q), 10, 128));
            Assert.Equal(original.Search(s_data.Query(q), 5, filter: k => k % 3 == 0), loaded.Search(s_data.Query(q), 5, filter: k => k % 3 == 0));
        }
    }

    [Fact]
    public void A_loaded_index_takes_adds_and_removes()
    {
        using HnswIndex original = BuildWithRemovals();
        using HnswIndex loaded = Load(Snapshot(original));

        loaded.Add(s_data.Keys[0], s_data.Vector(0));
        loaded.Remove(s_data.Keys[1]);
        loaded.AddBatch([1, 2], s_data.Vectors.AsSpan(0, 64));

        Assert.Equal(original.Count + 2, loaded.Count);
        Assert.Equal(s_data.Keys[0], loaded.Search(s_data.Vector(0), 1, filter: k => k != 1)[0].Key);
    }

    [Fact]
    public void The_header_layout_is_frozen()
    {
        using var index = HnswIndex.Create(new HnswOptions { Dimensions = 3, Metric = VectorMetric.L2, Storage = VectorStorage.F16, M = 8, EfConstruction = 40, EfSearch = 24 });
        index.AddBatch([5, 6, 7], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
        index.Remove(6);

        byte[] bytes = Snapshot(index);
        ReadOnlySpan<byte> header = bytes.AsSpan(0, 96);
        ReadOnlySpan<byte> payload = bytes.AsSpan(96);

        Assert.Equal("KRSBHNSW", Encoding.ASCII.GetString(header[..8]));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(header[8..]));    // format version
        Assert.Equal(96u, BinaryPrimitives.ReadUInt32LittleEndian(header[12..]));   // header length
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(header[16..]));      // dimensions
        Assert.Equal(2, header[20]);                                                 // metric: L2
        Assert.Equal(1, header[21]);                                                 // storage: F16
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(header[22..]));
        Assert.Equal(8, BinaryPrimitives.ReadInt32LittleEndian(header[24..]));      // M
        Assert.Equal(40, BinaryPrimitives.ReadInt32LittleEndian(header[28..]));     // ef construction
        Assert.Equal(24, BinaryPrimitives.ReadInt32LittleEndian(header[32..]));     // ef search
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(header[36..]));
        Assert.Equal(2L, BinaryPrimitives.ReadInt64LittleEndian(header[40..]));     // live keys
        Assert.Equal(1L, BinaryPrimitives.ReadInt64LittleEndian(header[48..]));     // tombstones
        Assert.Equal(payload.Length, BinaryPrimitives.ReadInt64LittleEndian(header[56..]));
        Assert.Equal(XxHash128.Hash(payload), header.Slice(64, 16).ToArray());
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(header[80..]));
        Assert.Equal(XxHash64.Hash(header[..88]), header.Slice(88, 8).ToArray());
        // The payload starts with the live keys (7 took the removed 6's place in the key list), then USearch's blob.
        Assert.Equal([5UL, 7UL], new[] { BinaryPrimitives.ReadUInt64LittleEndian(payload), BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]) });
    }

    public static TheoryData<int> FlippedBytes()
    {
        // Every header field, the keys, the start of USearch's blob (its matrix shape), and spots through the blob.
        var offsets = new TheoryData<int>();
        foreach (int offset in new[] { 0, 7, 8, 12, 16, 20, 21, 22, 24, 28, 32, 36, 40, 48, 56, 64, 79, 80, 88, 95, 96, 100, 96 + 8000, 96 + 15_200, 96 + 15_208, 96 + 15_300 })
        {
            offsets.Add(offset);
        }

        return offsets;
    }

    [Theory]
    [MemberData(nameof(FlippedBytes))]
    public void A_flipped_bit_is_detected_before_native_code(int offset)
    {
        using HnswIndex index = BuildWithRemovals();
        byte[] bytes = Snapshot(index);
        int[] spots = [offset, bytes.Length / 3, bytes.Length / 2, bytes.Length - 1];

        foreach (int spot in spots)
        {
            byte[] damaged = (byte[])bytes.Clone();
            damaged[spot] ^= 0x10;

            Assert.Throws<IndexSnapshotCorruptException>(() => Load(damaged));
        }
    }

    [Fact]
    public void A_truncated_snapshot_is_detected()
    {
        using HnswIndex index = BuildWithRemovals();
        byte[] bytes = Snapshot(index);

        foreach (int length in new[] { 0, 1, 50, 95, 96, 97, 104, 15_300, bytes.Length / 2, bytes.Length - 1 })
        {
            var truncated = bytes[..length];

            Assert.Throws<IndexSnapshotCorruptException>(() => Load(truncated));
            // A stream that cannot seek learns of the truncation only at its end.
            Assert.Throws<IndexSnapshotCorruptException>(() => HnswIndex.Load(new UnseekableStream(truncated)));
        }
    }

    [Fact]
    public void Random_bytes_and_a_newer_format_version_are_refused()
    {
        var random = new byte[4096];
        new Random(5).NextBytes(random);
        using HnswIndex index = BuildWithRemovals();
        byte[] newer = Snapshot(index);
        BinaryPrimitives.WriteUInt32LittleEndian(newer.AsSpan(8), 2);

        Assert.Contains("magic", Assert.Throws<IndexSnapshotCorruptException>(() => Load(random)).Message, StringComparison.Ordinal);
        Assert.Contains("version 2", Assert.Throws<IndexSnapshotCorruptException>(() => Load(newer)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16, 33)]   // dimensions
    [InlineData(20, 0)]    // metric: cosine where the index inside is L2
    [InlineData(21, 0)]    // storage: f32 where the index inside is f16
    public void A_header_that_disagrees_with_the_index_inside_is_refused_even_with_a_valid_checksum(int offset, int value)
    {
        using HnswIndex index = BuildWithRemovals(new HnswOptions { Dimensions = 32, Metric = VectorMetric.L2, Storage = VectorStorage.F16 });
        byte[] bytes = Snapshot(index);
        if (offset == 16)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), value);
        }
        else
        {
            bytes[offset] = (byte)value;
        }

        XxHash64.Hash(bytes.AsSpan(0, 88), bytes.AsSpan(88, 8));

        Assert.Contains("the index inside", Assert.Throws<IndexSnapshotCorruptException>(() => Load(bytes)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_can_be_followed_by_other_data_in_the_stream()
    {
        using HnswIndex index = BuildWithRemovals();
        using var stream = new MemoryStream();
        index.Save(stream);
        index.Save(stream);
        stream.Position = 0;

        using HnswIndex first = HnswIndex.Load(stream);
        using HnswIndex second = HnswIndex.Load(stream);

        Assert.Equal(index.Count, second.Count);
        Assert.Equal(stream.Length, stream.Position);
    }

    private sealed class UnseekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1000));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
