using KrSbert.Storage.Documents;
using KrSbert.Storage.Tests.TestSupport;

namespace KrSbert.Storage.Tests;

/// <summary>A real full file system: a 24 MiB tmpfs filled with writes, then grown with a remount.</summary>
public class DiskFullTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [TmpfsFact]
    [Trait("Category", "Slow")]
    public async Task A_full_file_system_refuses_writes_as_full_keeps_reads_and_takes_writes_again_once_it_grows()
    {
        using var mount = TmpfsMount.Create(24);
        string path = Path.Combine(mount.Path, "krsbert.db");
        var acknowledged = new List<string>();
        DocumentStore store = DocumentStore.Open(path);
        try
        {
            await store.CreateCollectionAsync("big", TemporaryStore.Settings(768)).WaitAsync(Timeout);
            StoreFullException? full = null;
            for (int batch = 0; batch < 200 && full is null; batch++)
            {
                DocumentWrite[] writes = Enumerable.Range(0, 50).Select(i => (DocumentWrite)StoreFaultTests.Large($"d{batch}-{i}", 768, 4, (batch * 50) + i)).ToArray();
                try
                {
                    await store.ApplyBatchAsync("big", writes).WaitAsync(Timeout);
                    acknowledged.AddRange(writes.Select(w => w.Id));
                }
                catch (StoreFullException e)
                {
                    full = e;
                }
            }

            Assert.NotNull(full);
            Assert.Contains(mount.Path, full.Message, StringComparison.Ordinal);
            Assert.False(store.WritesAvailable);
            for (int i = 0; i < 3; i++)
            {
                await Assert.ThrowsAsync<StoreFullException>(() => store.ApplyBatchAsync("big", [StoreFaultTests.Large($"again{i}", 768, 4, -i)]).WaitAsync(Timeout));
            }

            Assert.Equal(acknowledged.Count, store.GetDocuments("big", acknowledged, withVectors: false).Count);
            Assert.Single(store.GetDocuments("big", [acknowledged[0]]));

            mount.Resize(64);
            await store.ApplyBatchAsync("big", [StoreFaultTests.Large("after", 768, 4, 7)]).WaitAsync(Timeout);
            acknowledged.Add("after");
            Assert.True(store.WritesAvailable);

            store.Dispose();
            store = DocumentStore.Open(path);
            Assert.Equal(acknowledged.Count, store.GetDocuments("big", acknowledged, withVectors: false).Count);
        }
        finally
        {
            store.Dispose();
        }
    }
}
