using Grpc.Core;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

public class EndToEndTests
{
    private static readonly string[] s_subjects = ["The library", "Our office", "The museum", "A small cafe", "The train station", "The city pool", "The bakery", "The clinic"];
    private static readonly string[] s_predicates = ["opens at nine", "closes on Mondays", "offers free wifi", "sells fresh bread", "has a large parking lot", "accepts credit cards", "is near the river", "hosts concerts on Fridays"];

    [Fact]
    public async Task Create_ingest_query_filter_delete_then_restart_gives_the_same_answers()
    {
        await using var server = await TestServer.StartAsync();
        var collections = new Collections.CollectionsClient(server.Channel);
        var documents = new Documents.DocumentsClient(server.Channel);
        var search = new SearchApi.SearchClient(server.Channel);

        var created = await collections.CreateAsync(new CreateCollectionRequest { Name = "places" });
        Assert.Equal(384u, created.Dimension);

        // 10,000 documents in one stream; number 5000 is invalid (empty text).
        using (var ingest = documents.Ingest())
        {
            for (int i = 0; i < 10_000; i++)
            {
                string text = i == 5000 ? "" : $"{s_subjects[i % 8]} {s_predicates[(i / 8) % 8]} ({i}).";
                var document = new Document { Id = $"d{i}", Text = text };
                document.Metadata["parity"] = i % 2 == 0 ? "even" : "odd";
                document.Metadata["block"] = (i / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await ingest.RequestStream.WriteAsync(new IngestRequest { Collection = i == 0 ? "places" : "", Document = document });
            }

            await ingest.RequestStream.CompleteAsync();
            var summary = await ingest;
            Assert.Equal((10_000ul, 9_999ul), (summary.Received, summary.Stored));
            var failure = Assert.Single(summary.Failures);
            Assert.Equal((5000ul, "d5000", "text"), (failure.Index, failure.Id, failure.Field));
        }

        var byText = await search.QueryAsync(new QueryRequest { Collection = "places", Text = "When does the library open?", TopK = 5 });
        Assert.StartsWith("The library opens at nine", byText.Hits[0].Text, StringComparison.Ordinal);
        Assert.True(byText.Timings.EmbeddingMs > 0);

        var stored = await documents.GetAsync(new GetDocumentsRequest { Collection = "places", Ids = { "d42" }, IncludeVectors = true });
        var byVector = await search.QueryAsync(new QueryRequest { Collection = "places", Vector = { stored.Documents[0].Chunks[0].Vector }, TopK = 3 });
        Assert.Equal("d42", byVector.Hits[0].Id);
        Assert.Equal(1f, byVector.Hits[0].Score, 3);

        var filtered = await search.QueryAsync(new QueryRequest
        {
            Collection = "places",
            Text = "museum concerts",
            TopK = 20,
            Filter = new Filter { Must = { new Condition { Key = "parity", AnyOf = { "odd" } }, new Condition { Key = "block", AnyOf = { "3", "7" } } } },
        });
        Assert.Equal(20, filtered.Hits.Count);
        Assert.All(filtered.Hits, h => Assert.True(h.Metadata["parity"] == "odd" && h.Metadata["block"] is "3" or "7"));

        var deleted = await documents.DeleteAsync(new DeleteDocumentsRequest { Collection = "places", Filter = new Filter { Must = { new Condition { Key = "block", AnyOf = { "9" } } } } });
        Assert.Equal(1000ul, deleted.Deleted);
        await documents.DeleteAsync(new DeleteDocumentsRequest { Collection = "places", Ids = { "d1", "d2" } });

        var before = await AnswersAsync(search);
        await server.RestartAsync();
        search = new SearchApi.SearchClient(server.Channel);
        var after = await AnswersAsync(search);

        Assert.Equal(before, after);
        var info = await new Collections.CollectionsClient(server.Channel).GetAsync(new GetCollectionRequest { Name = "places" });
        Assert.Equal((8997ul, 8997ul), (info.Documents, info.IndexedVectors));
        Assert.True(info.SnapshotSequence == info.Sequence, "graceful shutdown saves a snapshot");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Two_clients_query_while_one_ingests_without_errors()
    {
        await using var server = await TestServer.StartAsync();
        var collections = new Collections.CollectionsClient(server.Channel);
        await collections.CreateAsync(new CreateCollectionRequest { Name = "busy" });
        var documents = new Documents.DocumentsClient(server.Channel);
        await documents.UpsertAsync(new UpsertRequest { Collection = "busy", Documents = { new Document { Id = "seed", Text = "The library opens at nine." } } });

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        var ingest = Task.Run(async () =>
        {
            int n = 0;
            while (!stop.IsCancellationRequested)
            {
                var request = new UpsertRequest { Collection = "busy" };
                for (int i = 0; i < 16; i++, n++)
                {
                    request.Documents.Add(new Document { Id = $"d{n}", Text = $"{s_subjects[n % 8]} {s_predicates[(n / 8) % 8]}." });
                }

                await documents.UpsertAsync(request);
            }

            return n;
        });
        var queries = Enumerable.Range(0, 2).Select(c => Task.Run(async () =>
        {
            var search = new SearchApi.SearchClient(server.Channel);
            int answered = 0;
            while (!stop.IsCancellationRequested)
            {
                var result = await search.QueryAsync(new QueryRequest { Collection = "busy", Text = "library hours", TopK = 3 });
                Assert.NotEmpty(result.Hits);
                answered++;
            }

            return answered;
        })).ToArray();

        int ingested = await ingest;
        int[] answered = await Task.WhenAll(queries);

        Assert.True(ingested > 0 && answered.All(a => a > 0), $"{ingested} ingested, {string.Join("/", answered)} answered");
    }

    private static async Task<List<string>> AnswersAsync(SearchApi.SearchClient search)
    {
        var answers = new List<string>();
        foreach (string question in new[] { "Is there parking at the station?", "Where can I buy bread?", "Which place has wifi?" })
        {
            var result = await search.QueryAsync(new QueryRequest { Collection = "places", Text = question, TopK = 10, Include = new Include() });
            answers.Add(string.Join(",", result.Hits.Select(h => h.Id)));
        }

        return answers;
    }
}
