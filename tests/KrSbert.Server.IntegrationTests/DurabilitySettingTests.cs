using KrSbert.Protos.V1;
using KrSbert.Storage;
using Microsoft.Extensions.Options;

namespace KrSbert.Server.IntegrationTests;

public class DurabilitySettingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_unknown_durability_stops_the_start_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(new() { ["KrSbert:Durability"] = "sometimes" }).WaitAsync(Timeout));

        Assert.Contains("KrSbert:Durability 'sometimes'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("os", StoreDurability.Os)]
    [InlineData("FSYNC", StoreDurability.Fsync)]
    public async Task The_durability_setting_reaches_the_store_and_writes_work(string setting, StoreDurability expected)
    {
        await using var server = await TestServer.StartAsync(new() { ["KrSbert:Durability"] = setting }).WaitAsync(Timeout);
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "v", Dimension = 4 }).ResponseAsync.WaitAsync(Timeout);

        await new Documents.DocumentsClient(server.Channel).UpsertAsync(new UpsertRequest { Collection = "v", Documents = { new Document { Id = "a", Vector = { 1, 0, 0, 0 } } } }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(expected, ((Storage.DocumentStore)server.Host.Engine.Store).Durability);
        Assert.Equal(1L, server.Host.Engine.GetCollection("v").Record.DocumentCount);
    }
}
