using KrSbert.Search.Collections;
using KrSbert.Search.Querying;

namespace KrSbert.Search.Tests;

/// <summary>A collection that cannot open is reported and repairable; every other collection keeps serving.</summary>
public class CollectionIsolationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_collection_whose_replay_fails_is_failed_while_the_others_serve_and_a_rebuild_repairs_it()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync("broken").WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync("healthy").WaitAsync(Timeout);
        float[] x = [1, 0, 0, 0, 0, 0, 0, 0];
        float[] y = [0, 1, 0, 0, 0, 0, 0, 0];
        await temp.Engine.UpsertAsync("broken", [TemporaryEngine.VectorDocument("a", x)]).WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("healthy", [TemporaryEngine.VectorDocument("h", x)]).WaitAsync(Timeout);
        await temp.Engine.SnapshotAllAsync().WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("broken", [TemporaryEngine.VectorDocument("b", y)]).WaitAsync(Timeout);

        // A copy taken before shutdown needs a replay of "b"; its change record is then damaged.
        string copy = temp.DataDirectory + "-copy";
        DataFolderDamage.CopyDatabase(temp.DataDirectory, copy);
        DataFolderDamage.DamageChange(copy, "broken", sequence: 2);

        try
        {
            await using var reopened = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = copy }, embedder: null).WaitAsync(Timeout);
            CollectionInfo failed = reopened.GetCollection("broken");
            var refused = await Assert.ThrowsAsync<CollectionUnavailableException>(() => reopened.SearchAsync("broken", new SearchRequest { Vector = x })).WaitAsync(Timeout);
            await Assert.ThrowsAsync<CollectionUnavailableException>(() => reopened.UpsertAsync("broken", [TemporaryEngine.VectorDocument("c", x)])).WaitAsync(Timeout);
            var healthyHits = await reopened.SearchAsync("healthy", new SearchRequest { Vector = x }).WaitAsync(Timeout);
            await reopened.UpsertAsync("healthy", [TemporaryEngine.VectorDocument("h2", y)]).WaitAsync(Timeout);

            Assert.Equal(CollectionState.Failed, failed.State);
            Assert.False(string.IsNullOrEmpty(failed.StateReason));
            Assert.Equal(["broken", "healthy"], reopened.ListCollections().Select(c => c.Name));
            Assert.Contains("'broken'", refused.Message, StringComparison.Ordinal);
            Assert.Contains("Collections.Rebuild", refused.Message, StringComparison.Ordinal);
            Assert.Equal("h", healthyHits.Hits[0].Id);

            CollectionInfo repaired = await reopened.RebuildIndexAsync("broken").WaitAsync(Timeout);

            Assert.Equal((CollectionState.Ready, 2, 2L), (repaired.State, repaired.IndexedVectors, repaired.Record.DocumentCount));
            Assert.Equal("b", (await reopened.SearchAsync("broken", new SearchRequest { Vector = y })).Hits[0].Id);
            await reopened.UpsertAsync("broken", [TemporaryEngine.VectorDocument("c", x)]).WaitAsync(Timeout);
            Assert.Equal(3, reopened.GetCollection("broken").IndexedVectors);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task A_failed_collection_can_be_deleted()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync("broken").WaitAsync(Timeout);
        await temp.Engine.UpsertAsync("broken", [TemporaryEngine.VectorDocument("a", [1, 0, 0, 0, 0, 0, 0, 0])]).WaitAsync(Timeout);
        await temp.Engine.DisposeAsync().AsTask().WaitAsync(Timeout);
        DataFolderDamage.DamageDocument(temp.DataDirectory, "broken", "a");

        await temp.RestartAsyncAfterDispose().WaitAsync(Timeout);

        Assert.Equal(CollectionState.Failed, temp.Engine.GetCollection("broken").State);
        await Assert.ThrowsAsync<CollectionUnavailableException>(() => temp.Engine.RebuildIndexAsync("broken")).WaitAsync(Timeout);
        Assert.True(await temp.Engine.DeleteCollectionAsync("broken"));
        Assert.Empty(temp.Engine.ListCollections());
    }
}
