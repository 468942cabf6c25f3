using KrSbert.Protos.V1;

namespace KrSbert.Server.IntegrationTests;

/// <summary>Documents.ListIds on a single node: the ids matching a filter, in ordinal order, a page at a time.</summary>
public sealed class ListIdsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ids_matching_a_filter_come_in_ordinal_order_a_page_at_a_time_and_an_empty_filter_lists_every_document()
    {
        await using TestServer server = await TestServer.StartAsync(new() { ["KrSbert:Limits:MaxDocumentsPerRequest"] = "4" }).WaitAsync(Timeout);
        var documents = new Documents.DocumentsClient(server.Channel);
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "vec", Dimension = 2 }).ResponseAsync.WaitAsync(Timeout);
        // Ids whose ordinal order differs from their numbers' and from insertion order.
        string[] ids = ["b10", "a9", "B2", "a10", "c1", "b1"];
        for (int i = 0; i < ids.Length; i += 3)
        {
            await documents.UpsertAsync(new UpsertRequest
            {
                Collection = "vec",
                Documents = { ids.Skip(i).Take(3).Select((id, j) => new Document { Id = id, Vector = { 1, i + j }, Metadata = { ["even"] = (i + j) % 2 == 0 ? "yes" : "no" } }) },
            }).ResponseAsync.WaitAsync(Timeout);
        }

        async Task<List<string>> ListAsync(Filter? filter, uint limit)
        {
            var all = new List<string>();
            for (string after = ""; ;)
            {
                ListIdsResponse page = await documents.ListIdsAsync(new ListIdsRequest { Collection = "vec", Filter = filter, After = after, Limit = limit }).ResponseAsync.WaitAsync(Timeout);
                all.AddRange(page.Ids);
                if (page.Ids.Count < (limit == 0 ? 4 : limit))
                {
                    return all;
                }

                after = page.Ids[^1];
            }
        }

        List<string> every = await ListAsync(null, 0);
        List<string> even = await ListAsync(new Filter { Must = { new Condition { Key = "even", AnyOf = { "yes" } } } }, 2);

        Assert.Equal(ids.Order(StringComparer.Ordinal), every);
        Assert.Equal(["B2", "b10", "c1"], even);
    }
}
