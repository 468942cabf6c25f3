using Grpc.Core;
using Grpc.Health.V1;
using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

public class ServiceBehaviourTests
{
    [Fact]
    public async Task Health_is_not_serving_until_collections_are_open_then_serving_overall_and_per_collection()
    {
        await using var server = await TestServer.StartAsync(waitUntilReady: false);
        var health = new Health.HealthClient(server.Channel);

        var early = await health.CheckAsync(new HealthCheckRequest());
        bool readyThen = server.Host.Ready.IsCompleted;
        await server.Host.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "faq" });

        if (!readyThen)
        {
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, early.Status);
        }

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "faq" })).Status);
        await new Collections.CollectionsClient(server.Channel).DeleteAsync(new DeleteCollectionRequest { Name = "faq" });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.ServiceUnknown, (await health.CheckAsync(new HealthCheckRequest { Service = "faq" })).Status);
    }

    [Fact]
    public async Task Liveness_health_is_serving_while_collections_open_and_after()
    {
        await using var server = await TestServer.StartAsync(waitUntilReady: false);
        var health = new Health.HealthClient(server.Channel);

        var early = await health.CheckAsync(new HealthCheckRequest { Service = "krsbert.live" }).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(60));
        await server.Host.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        var later = await health.CheckAsync(new HealthCheckRequest { Service = "krsbert.live" }).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, early.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, later.Status);
    }

    [Fact]
    public async Task The_api_key_is_enforced_when_set_and_health_stays_open()
    {
        await using var server = await TestServer.StartAsync(new() { ["KrSbert:ApiKey"] = "s3cret" });
        var collections = new Collections.CollectionsClient(server.Channel);

        await StatusCodeTests.Expect(StatusCode.Unauthenticated, "x-api-key", () => collections.ListAsync(new ListCollectionsRequest()).ResponseAsync);
        await StatusCodeTests.Expect(StatusCode.Unauthenticated, "not valid", () => collections.ListAsync(new ListCollectionsRequest(), new Metadata { { "x-api-key", "wrong" } }).ResponseAsync);
        var list = await collections.ListAsync(new ListCollectionsRequest(), new Metadata { { "x-api-key", "s3cret" } });
        var health = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest());

        Assert.Empty(list.Collections);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task Cancelling_an_ingest_stream_midway_leaves_the_collection_consistent()
    {
        await using var server = await TestServer.StartAsync();
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "c", Dimension = 8 });
        var random = new Random(3);
        using var cancel = new CancellationTokenSource();
        var ingest = new Documents.DocumentsClient(server.Channel).Ingest(cancellationToken: cancel.Token);

        for (int i = 0; i < 300; i++)
        {
            var document = new Document { Id = $"d{i}" };
            document.Vector.AddRange(Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble()));
            await ingest.RequestStream.WriteAsync(new IngestRequest { Collection = "c", Document = document });
        }

        await Task.Delay(300);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<RpcException>(() => ingest.ResponseAsync);
        await Task.Delay(300);

        var info = await new Collections.CollectionsClient(server.Channel).GetAsync(new GetCollectionRequest { Name = "c" });
        Assert.Equal(info.Documents, info.IndexedVectors);
        Assert.Equal(0ul, info.Documents % 256);
        Assert.True(info.Documents <= 300);
        await server.RestartAsync();
        var reopened = await new Collections.CollectionsClient(server.Channel).GetAsync(new GetCollectionRequest { Name = "c" });
        Assert.Equal((info.Documents, info.Documents), (reopened.Documents, reopened.IndexedVectors));
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public async Task Embeddings_serve_the_notebooks_views_for_a_kr_sbert_model_folder()
    {
        await using var server = await TestServer.StartAsync(new() { ["KrSbert:ModelDirectory"] = SharedFolder.PathOf(TestModels.TinyRandomFolder) });
        var embeddings = new Embeddings.EmbeddingsClient(server.Channel);
        const string seed = "안녕하세요. 저는 진학사에 다니고 있습니다.";

        var tokens = await embeddings.TokenizeAsync(new TokenizeRequest { Text = seed });
        var mean = await embeddings.EmbedAsync(new EmbedRequest { Texts = { seed, "잠이 옵니다" } });
        var combined = await embeddings.EmbedAsync(new EmbedRequest { Texts = { seed }, Pooling = "cls+max", Normalize = true });
        var perToken = await embeddings.TokenEmbeddingsAsync(new TokenEmbeddingsRequest { Text = seed });

        Assert.Equal([2L, 19185, 18, 9770, 17353, 9651, 20797, 9023, 18, 3], tokens.InputIds);
        Assert.Equal("##사에", tokens.Tokens[5]);
        Assert.All(tokens.AttentionMask, m => Assert.Equal(1, m));
        Assert.All(tokens.TokenTypeIds, t => Assert.Equal(0, t));
        Assert.Equal((2, 32u), (mean.Vectors.Count, mean.Dimension));
        Assert.Equal(64, combined.Vectors[0].Values.Count);
        Assert.Equal(10, perToken.Vectors.Count);
        Assert.Equal(Embedders.TinyKrSbert.EmbedTokens(seed)[0].ToArray(), perToken.Vectors[0].Values);
    }

    [Fact]
    public async Task Metrics_are_served_for_prometheus_on_their_own_port()
    {
        await using var server = await TestServer.StartAsync();
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "m" });
        await new SearchApi.SearchClient(server.Channel).QueryAsync(new QueryRequest { Collection = "m", Text = "anything" });
        using var http = new HttpClient();

        string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.MetricsPort}/metrics"));

        Assert.Contains("krsbert_requests_total{method=\"/krsbert.v1.Search/Query\",code=\"OK\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("krsbert_request_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("krsbert_collection_documents{collection=\"m\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("krsbert_embedding_batch_size_count 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_settings_stop_the_server_at_start_saying_what_to_fix()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            TestServer.StartAsync(new() { ["KrSbert:Listen"] = "not-an-address", ["KrSbert:ModelDirectory"] = "/nonexistent/model" }));

        Assert.Contains("KrSbert:ModelDirectory '/nonexistent/model' does not exist", error.Message, StringComparison.Ordinal);
    }
}
