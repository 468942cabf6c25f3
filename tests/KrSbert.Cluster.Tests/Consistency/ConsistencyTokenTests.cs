using KrSbert.Cluster.Consistency;

namespace KrSbert.Cluster.Tests.Consistency;

public class ConsistencyTokenTests
{
    [Fact]
    public void A_token_round_trips_through_its_base64url_text()
    {
        var token = new ConsistencyToken(7, [new(3, 1L << 40), new(0, 5), new(1, 0)]);

        string text = token.Encode();
        ConsistencyToken parsed = ConsistencyToken.Parse(text);

        Assert.Matches("^[A-Za-z0-9_-]+$", text);
        Assert.Equal(7, parsed.Version);
        Assert.Equal([new(0, 5L), new(1, 0L), new(3, 1L << 40)], parsed.Sequences);
        Assert.Equal(0, parsed.SequenceFor(2));
        Assert.Equal(text, parsed.Encode());
    }

    [Fact]
    public void The_encoding_is_frozen()
    {
        // Format 1, version 2, 2 shards, shard 0 at 300 (varint AC 02), shard 1 at 1: 01 02 02 00 AC 02 01 01.
        Assert.Equal("AQICAKwCAQE", new ConsistencyToken(2, [new(0, 300), new(1, 1)]).Encode());
    }

    [Fact]
    public void Merge_keeps_the_larger_sequence_per_shard_and_refuses_another_version()
    {
        var merged = new ConsistencyToken(1, [new(0, 5), new(1, 9)]).Merge(new ConsistencyToken(1, [new(0, 8), new(2, 1)]));

        Assert.Equal([new(0, 8L), new(1, 9L), new(2, 1L)], merged.Sequences);
        Assert.Throws<ArgumentException>(() => merged.Merge(new ConsistencyToken(2, [])));
    }

    [Theory]
    [InlineData("", "the token is empty")]
    [InlineData("not base64!", "not base64url text")]
    [InlineData("Ag", "format is 2; this server reads format 1")]
    [InlineData("AQ", "ends early")]
    [InlineData("AQIC", "ends early")]
    [InlineData("AQICAKwCAQEA", "bytes after its last shard")]
    [InlineData("AQIAAA", "bytes after its last shard")]
    [InlineData("AQICAQEAAQ", "lists shard 0 after shard 1")]
    [InlineData("AQGBEAEB", "shard count is 2049")]
    [InlineData("Af____________8B", "version is too long")]
    public void A_malformed_token_fails_with_a_message_naming_the_problem(string text, string expected)
    {
        var error = Assert.Throws<InvalidConsistencyTokenException>(() => ConsistencyToken.Parse(text));

        Assert.StartsWith("consistency_token is not valid: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
