using KrSbert.Cluster.Aliases;
using KrSbert.Storage.Collections;

namespace KrSbert.Cluster.Tests.Aliases;

public class AliasTableTests
{
    [Fact]
    public void A_collection_resolves_to_its_serving_version_and_its_local_store_name()
    {
        var table = new AliasTable([new CollectionVersion("docs", 3, 2), new CollectionVersion("faq", 1, 1)]);

        CollectionVersion docs = table.Resolve("docs");

        Assert.Equal((3L, 2, "docs__v3"), (docs.Version, docs.Shards.ShardCount, docs.StoreName));
        Assert.Equal(["docs", "faq"], table.Collections);
        Assert.Null(table.Find("Docs"));
    }

    [Fact]
    public void An_unknown_collection_is_not_found()
    {
        var table = new AliasTable([new CollectionVersion("docs", 1, 2)]);

        Assert.Equal("missing", Assert.Throws<CollectionNotFoundException>(() => table.Resolve("missing")).Name);
    }

    [Fact]
    public void Two_serving_versions_of_one_collection_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new AliasTable([new CollectionVersion("docs", 1, 2), new CollectionVersion("docs", 2, 2)]));
        Assert.Contains("two serving versions (1 and 2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_name_a_version_below_1_or_a_name_too_long_for_its_version_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new CollectionVersion("bad name", 1, 1));
        Assert.Contains("version is 0", Assert.Throws<ArgumentException>(() => new CollectionVersion("docs", 0, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("the limit is 64", Assert.Throws<ArgumentException>(() => new CollectionVersion(new string('a', 60), 10, 1)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CollectionVersion("docs", 1, 0));
    }
}
