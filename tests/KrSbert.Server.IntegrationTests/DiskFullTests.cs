using Grpc.Core;
using Grpc.Health.V1;
using KrSbert.Protos.V1;
using KrSbert.Server.Hosting;
using KrSbert.Storage.Tests.TestSupport;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

/// <summary>A server whose data folder sits on a 24 MiB tmpfs: filled with upserts, then grown with a remount.</summary>
public class DiskFullTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [TmpfsFact]
    [Trait("Category", "Slow")]
    public async Task A_full_data_folder_answers_resource_exhausted_keeps_reads_marks_store_health_and_recovers_without_restart()
    {
        using var mount = TmpfsMount.Create(24);
        string data = Path.Combine(mount.Path, "data");
        await using var server = await TestServer.StartAsync(dataDirectory: data).WaitAsync(Timeout);
        var collections = new Collections.CollectionsClient(server.Channel);
        var documents = new Documents.DocumentsClient(server.Channel);
        var search = new SearchApi.SearchClient(server.Channel);
        var health = new Health.HealthClient(server.Channel);
        await collections.CreateAsync(new CreateCollectionRequest { Name = "big", Dimension = 768 }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = EngineHost.StoreHealthService }).ResponseAsync.WaitAsync(Timeout)).Status);

        var acknowledged = new List<string>();
        var random = new Random(5);
        RpcException? full = null;
        for (int batch = 0; batch < 400 && full is null; batch++)
        {
            var request = new UpsertRequest { Collection = "big" };
            for (int i = 0; i < 200; i++)
            {
                var document = new Document { Id = $"d{batch}-{i}" };
                document.Vector.AddRange(Enumerable.Range(0, 768).Select(_ => (float)random.NextDouble() + 0.01f));
                request.Documents.Add(document);
            }

            try
            {
                await documents.UpsertAsync(request).ResponseAsync.WaitAsync(Timeout);
                acknowledged.AddRange(request.Documents.Select(d => d.Id));
            }
            catch (RpcException e)
            {
                full = e;
            }
        }

        Assert.NotNull(full);
        Assert.Equal(StatusCode.ResourceExhausted, full.StatusCode);
        Assert.Contains(data, full.Status.Detail, StringComparison.Ordinal);
        var again = await Assert.ThrowsAsync<RpcException>(() => documents.UpsertAsync(Upsert("again", random)).ResponseAsync.WaitAsync(Timeout));
        Assert.Equal(StatusCode.ResourceExhausted, again.StatusCode);

        var got = await documents.GetAsync(new GetDocumentsRequest { Collection = "big", Ids = { acknowledged[0], acknowledged[^1] } }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(2, got.Documents.Count);
        var query = new QueryRequest { Collection = "big", TopK = 3 };
        query.Vector.AddRange(Enumerable.Range(0, 768).Select(_ => (float)random.NextDouble()));
        Assert.Equal(3, (await search.QueryAsync(query).ResponseAsync.WaitAsync(Timeout)).Hits.Count);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest { Service = EngineHost.StoreHealthService }).ResponseAsync.WaitAsync(Timeout)).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(Timeout)).Status);

        mount.Resize(64);
        await documents.UpsertAsync(Upsert("after", random)).ResponseAsync.WaitAsync(Timeout);
        acknowledged.Add("after");

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = EngineHost.StoreHealthService }).ResponseAsync.WaitAsync(Timeout)).Status);
        Assert.Equal(acknowledged.Count, await CountStored(documents, acknowledged));
        await server.RestartAsync().WaitAsync(Timeout);
        Assert.Equal(acknowledged.Count, await CountStored(new Documents.DocumentsClient(server.Channel), acknowledged));
    }

    private static UpsertRequest Upsert(string id, Random random)
    {
        var document = new Document { Id = id };
        document.Vector.AddRange(Enumerable.Range(0, 768).Select(_ => (float)random.NextDouble() + 0.01f));
        return new UpsertRequest { Collection = "big", Documents = { document } };
    }

    private static async Task<int> CountStored(Documents.DocumentsClient documents, List<string> ids)
    {
        int found = 0;
        foreach (string[] part in ids.Chunk(500))
        {
            found += (await documents.GetAsync(new GetDocumentsRequest { Collection = "big", Ids = { part } }).ResponseAsync.WaitAsync(Timeout)).Documents.Count;
        }

        return found;
    }
}
