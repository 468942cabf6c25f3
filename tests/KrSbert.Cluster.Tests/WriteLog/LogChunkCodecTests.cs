using KrSbert.Cluster.WriteLog;

namespace KrSbert.Cluster.Tests.WriteLog;

public class LogChunkCodecTests
{
    [Fact]
    public void The_chunk_bytes_are_frozen()
    {
        byte[] bytes = LogChunkCodec.Encode([new LogChunk(2, 9, [7], [1f, -2f])]);

        // Format 1, 1 chunk; start 2, end 9, 1 token (7), dimension 2, then 1.0f and -2.0f little-endian.
        Assert.Equal("01" + "01000000" + "02000000" + "09000000" + "01000000" + "07000000" + "02000000" + "0000803F" + "000000C0", Convert.ToHexString(bytes));
    }

    [Fact]
    public void Chunks_round_trip()
    {
        LogChunk[] chunks = [new(0, 5, [101, 7, 102], [0.5f, float.MaxValue, -0f]), new(5, 5, [], [])];

        List<LogChunk> read = LogChunkCodec.Decode(LogChunkCodec.Encode(chunks));

        Assert.Equal(2, read.Count);
        Assert.Equal((0, 5), (read[0].Start, read[0].End));
        Assert.Equal(chunks[0].TokenIds, read[0].TokenIds);
        Assert.Equal(chunks[0].Vector, read[0].Vector);
        Assert.Empty(read[1].Vector);
    }

    [Theory]
    [InlineData("", "format -1 and 0 bytes")]
    [InlineData("0201000000", "format 2")]
    [InlineData("01FFFFFF7F", "count of 2147483647 where 0 fit")]
    [InlineData("0101000000" + "02000000" + "09000000" + "05000000" + "07000000" + "02000000", "count of 5 where 2 fit")]
    [InlineData("0100000000" + "00", "1 bytes after its last chunk")]
    public void Damaged_chunk_bytes_fail_with_a_message_naming_the_damage(string hex, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => LogChunkCodec.Decode(Convert.FromHexString(hex)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
