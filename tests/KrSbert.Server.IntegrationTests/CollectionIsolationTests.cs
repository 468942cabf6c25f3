using Grpc.Core;
using Grpc.Health.V1;
using KrSbert.Cli.Tests;
using KrSbert.Protos.V1;
using KrSbert.Search.Tests;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

/// <summary>A collection that cannot open is NOT_SERVING and refused by name; the others serve; a rebuild repairs it online.</summary>
public class CollectionIsolationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_collection_that_cannot_open_is_not_serving_while_the_others_serve_until_an_online_rebuild()
    {
        string copy;
        await using (var original = await TestServer.StartAsync())
        {
            var documents = new Documents.DocumentsClient(original.Channel);
            foreach (string name in new[] { "broken", "healthy" })
            {
                await new Collections.CollectionsClient(original.Channel).CreateAsync(new CreateCollectionRequest { Name = name, Dimension = 4 }).ResponseAsync.WaitAsync(Timeout);
                await documents.UpsertAsync(new UpsertRequest { Collection = name, Documents = { new Document { Id = "a", Vector = { 1, 0, 0, 0 } } } }).ResponseAsync.WaitAsync(Timeout);
            }

            await original.Host.Engine.SnapshotAllAsync().WaitAsync(Timeout);
            await documents.UpsertAsync(new UpsertRequest { Collection = "broken", Documents = { new Document { Id = "b", Vector = { 0, 1, 0, 0 } } } }).ResponseAsync.WaitAsync(Timeout);

            // Copied while serving, the folder needs a replay of "b", whose change record is then damaged.
            copy = original.DataDirectory + "-copy";
            DataFolderDamage.CopyDatabase(original.DataDirectory, copy);
            DataFolderDamage.DamageChange(copy, "broken", sequence: 2);
        }

        await using var server = await TestServer.StartAsync(dataDirectory: copy);
        var health = new Health.HealthClient(server.Channel);
        var collections = new Collections.CollectionsClient(server.Channel);
        var search = new SearchApi.SearchClient(server.Channel);

        var overall = await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(Timeout);
        var brokenHealth = await health.CheckAsync(new HealthCheckRequest { Service = "broken" }).ResponseAsync.WaitAsync(Timeout);
        var healthyHealth = await health.CheckAsync(new HealthCheckRequest { Service = "healthy" }).ResponseAsync.WaitAsync(Timeout);
        var info = await collections.GetAsync(new GetCollectionRequest { Name = "broken" }).ResponseAsync.WaitAsync(Timeout);
        var refused = await Assert.ThrowsAsync<RpcException>(() => search.QueryAsync(new QueryRequest { Collection = "broken", Vector = { 0, 1, 0, 0 } }).ResponseAsync.WaitAsync(Timeout));
        var healthyHits = await search.QueryAsync(new QueryRequest { Collection = "healthy", Vector = { 1, 0, 0, 0 } }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overall.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, brokenHealth.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, healthyHealth.Status);
        Assert.Equal(CollectionState.Failed, info.State);
        Assert.NotEmpty(info.StateReason);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("'broken'", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("Collections.Rebuild", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("a", healthyHits.Hits[0].Id);

        var rebuild = await KrSbertProcess.RunAsync(null, "rebuild", "--server", $"http://127.0.0.1:{server.Port}", "--collection", "broken").WaitAsync(Timeout);

        Assert.True(rebuild.ExitCode == 0, rebuild.Error);
        Assert.Contains("broken: rebuilt 2 vectors", rebuild.Output, StringComparison.Ordinal);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "broken" }).ResponseAsync.WaitAsync(Timeout)).Status);
        Assert.Equal("b", (await search.QueryAsync(new QueryRequest { Collection = "broken", Vector = { 0, 1, 0, 0 } }).ResponseAsync.WaitAsync(Timeout)).Hits[0].Id);
    }

    [Fact]
    public async Task Rebuild_of_an_unknown_collection_is_not_found_and_rebuild_needs_one_target()
    {
        await using var server = await TestServer.StartAsync();

        var missing = await Assert.ThrowsAsync<RpcException>(() => new Collections.CollectionsClient(server.Channel).RebuildAsync(new RebuildCollectionRequest { Name = "nope" }).ResponseAsync.WaitAsync(Timeout));
        var both = await KrSbertProcess.RunAsync(null, "rebuild", "--server", $"http://127.0.0.1:{server.Port}", "--data", server.DataDirectory).WaitAsync(Timeout);
        var noCollection = await KrSbertProcess.RunAsync(null, "rebuild", "--server", $"http://127.0.0.1:{server.Port}").WaitAsync(Timeout);

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(2, both.ExitCode);
        Assert.Equal(2, noCollection.ExitCode);
        Assert.Contains("--collection", noCollection.Error, StringComparison.Ordinal);
    }
}
