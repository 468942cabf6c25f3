using KrSbert.Storage.Collections;

namespace KrSbert.Storage.Tests;

public class CollectionTests
{
    [Fact]
    public async Task A_created_collection_is_listed_got_and_survives_reopen()
    {
        using var temp = new TemporaryStore();

        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());
        await temp.Store.CreateCollectionAsync("articles-2024_ko", TemporaryStore.Settings(8));
        temp.Reopen();

        Assert.Equal(["articles-2024_ko", "faq"], temp.Store.ListCollections().Select(c => c.Name));
        var faq = temp.Store.GetCollection("faq")!;
        Assert.Equal(TemporaryStore.Settings(), faq.Settings);
        Assert.Equal(0, faq.Sequence);
        Assert.Null(temp.Store.GetCollection("missing"));
    }

    [Fact]
    public async Task A_duplicate_name_is_refused()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());

        await Assert.ThrowsAsync<CollectionExistsException>(() => temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings(8)));

        Assert.Equal(4, temp.Store.GetCollection("faq")!.Settings.Dimension);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("한국어")]
    [InlineData("dot.name")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Invalid_names_are_refused_saying_why(string name)
    {
        using var temp = new TemporaryStore();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => temp.Store.CreateCollectionAsync(name, TemporaryStore.Settings()));

        Assert.Equal("name", error.ParamName);
        Assert.Empty(temp.Store.ListCollections());
    }

    [Fact]
    public async Task Deleting_a_collection_removes_its_documents_and_a_new_one_of_that_name_starts_empty()
    {
        using var temp = new TemporaryStore();
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());
        await temp.Store.ApplyBatchAsync("faq", [TemporaryStore.Document("a", [1, 0, 0, 0])]);

        Assert.True(await temp.Store.DeleteCollectionAsync("faq"));
        Assert.False(await temp.Store.DeleteCollectionAsync("faq"));
        await temp.Store.CreateCollectionAsync("faq", TemporaryStore.Settings());

        Assert.Empty(temp.Store.GetDocuments("faq", ["a"]));
        Assert.Equal(0, temp.Store.GetCollection("faq")!.DocumentCount);
    }

    [Fact]
    public void A_second_open_of_the_same_file_says_it_is_in_use()
    {
        using var temp = new TemporaryStore();

        var error = Assert.Throws<StoreLockedException>(() => DocumentStore.Open(temp.FilePath));

        Assert.Contains("in use by another process", error.Message, StringComparison.Ordinal);
    }
}
