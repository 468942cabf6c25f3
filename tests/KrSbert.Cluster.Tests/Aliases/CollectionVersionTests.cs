using KrSbert.Cluster.Aliases;

namespace KrSbert.Cluster.Tests.Aliases;

public sealed class CollectionVersionTests
{
    [Theory]
    [InlineData("docs__v1", "docs", 1L)]
    [InlineData("my__vault__v12", "my__vault", 12L)]
    public void A_store_name_reads_back_into_its_collection_and_version(string storeName, string collection, long version)
    {
        Assert.True(CollectionVersion.TryParseStoreName(storeName, out string parsed, out long number));
        Assert.Equal((collection, version), (parsed, number));
        Assert.Equal(storeName, new CollectionVersion(parsed, number, 2).StoreName);
    }

    [Theory]
    [InlineData("docs")]
    [InlineData("docs__v0")]
    [InlineData("docs__v01")]
    [InlineData("docs__v+1")]
    [InlineData("docs__v")]
    [InlineData("__v1")]
    public void A_name_no_collection_version_makes_does_not_parse(string storeName)
    {
        Assert.False(CollectionVersion.TryParseStoreName(storeName, out _, out _));
    }
}
