using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

/// <summary>The lexical index after a SIGKILL: loaded from its snapshot part, with the later changes replayed from the log.</summary>
public class LexicalCrashTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_lexical_index_survives_a_SIGKILL_with_changes_after_its_snapshot()
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-lexical-kill-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var first = await ServerProcess.StartAsync(data, null, "--KrSbert:SnapshotEveryChanges=20"))
            {
                var collections = new Collections.CollectionsClient(first.Channel);
                var documents = new Documents.DocumentsClient(first.Channel);
                await collections.CreateAsync(new CreateCollectionRequest { Name = "v", Dimension = 4 }).ResponseAsync.WaitAsync(Timeout);
                await documents.UpsertAsync(new UpsertRequest
                {
                    Collection = "v",
                    Documents = { Enumerable.Range(0, 30).Select(i => new Document { Id = $"p{i}", Text = i < 3 ? $"경찰은 {i}번 현장에 갔다" : $"날씨 {i}", Vector = { 1, i + 1, 0, 0 } }) },
                }).ResponseAsync.WaitAsync(Timeout);

                // 30 changes pass the threshold of 20: a background snapshot follows; wait for it before the late changes.
                var deadline = DateTime.UtcNow + Timeout;
                while ((await collections.GetAsync(new GetCollectionRequest { Name = "v" }).ResponseAsync.WaitAsync(Timeout)).SnapshotSequence < 30)
                {
                    Assert.True(DateTime.UtcNow < deadline, "no snapshot was taken");
                    await Task.Delay(100);
                }

                await documents.UpsertAsync(new UpsertRequest { Collection = "v", Documents = { new Document { Id = "late", Text = "사건과 기록", Vector = { 0, 0, 1, 0 } } } }).ResponseAsync.WaitAsync(Timeout);
                await documents.DeleteAsync(new DeleteDocumentsRequest { Collection = "v", Ids = { "p1" } }).ResponseAsync.WaitAsync(Timeout);
                await first.KillAsync();
            }

            await using var second = await ServerProcess.StartAsync(data);
            var search = new SearchApi.SearchClient(second.Channel);
            var info = await new Collections.CollectionsClient(second.Channel).GetAsync(new GetCollectionRequest { Name = "v" }).ResponseAsync.WaitAsync(Timeout);
            var police = await search.QueryAsync(new QueryRequest { Collection = "v", Text = "경찰", Mode = "lexical" }).ResponseAsync.WaitAsync(Timeout);
            var incident = await search.QueryAsync(new QueryRequest { Collection = "v", Text = "사건", Mode = "lexical" }).ResponseAsync.WaitAsync(Timeout);

            Assert.Equal((30ul, 32ul), (info.SnapshotSequence, info.Sequence));
            Assert.Equal(["p0", "p2"], police.Hits.Select(h => h.Id).Order());
            Assert.Equal("late", Assert.Single(incident.Hits).Id);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
