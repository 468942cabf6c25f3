using Grpc.Core;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

/// <summary>A refused write leaves nothing behind, and the server starts after a crash that follows it.</summary>
public class RejectedWriteTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_zero_vector_upsert_is_refused_stores_nothing_and_the_server_starts_after_a_SIGKILL()
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-zero-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var first = await ServerProcess.StartAsync(data))
            {
                var collections = new Collections.CollectionsClient(first.Channel);
                var documents = new Documents.DocumentsClient(first.Channel);
                await collections.CreateAsync(new CreateCollectionRequest { Name = "v", Dimension = 4 }).ResponseAsync.WaitAsync(Timeout);

                var refused = await Assert.ThrowsAsync<RpcException>(() => documents.UpsertAsync(new UpsertRequest
                {
                    Collection = "v",
                    Documents = { new Document { Id = "a", Vector = { 1, 0, 0, 0 } }, new Document { Id = "z", Vector = { 0, 0, 0, 0 } } },
                }).ResponseAsync.WaitAsync(Timeout));
                var stored = await documents.GetAsync(new GetDocumentsRequest { Collection = "v", Ids = { "a", "z" } }).ResponseAsync.WaitAsync(Timeout);
                var counted = await collections.GetAsync(new GetCollectionRequest { Name = "v" }).ResponseAsync.WaitAsync(Timeout);
                await documents.UpsertAsync(new UpsertRequest { Collection = "v", Documents = { new Document { Id = "a", Vector = { 1, 0, 0, 0 } } } }).ResponseAsync.WaitAsync(Timeout);

                Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
                Assert.Contains("documents[1].vector", refused.Status.Detail, StringComparison.Ordinal);
                Assert.Contains("all zeros", refused.Status.Detail, StringComparison.Ordinal);
                Assert.Empty(stored.Documents);
                Assert.Equal((0ul, 0ul, 0ul), (counted.Documents, counted.IndexedVectors, counted.Sequence));
                await first.KillAsync();
            }

            await using var second = await ServerProcess.StartAsync(data);
            var after = await new Collections.CollectionsClient(second.Channel).GetAsync(new GetCollectionRequest { Name = "v" }).ResponseAsync.WaitAsync(Timeout);
            var zero = await new Documents.DocumentsClient(second.Channel).GetAsync(new GetDocumentsRequest { Collection = "v", Ids = { "z" } }).ResponseAsync.WaitAsync(Timeout);
            var hits = await new SearchApi.SearchClient(second.Channel).QueryAsync(new QueryRequest { Collection = "v", Vector = { 1, 0, 0, 0 } }).ResponseAsync.WaitAsync(Timeout);

            Assert.Equal((CollectionState.Ready, 1ul, 1ul, 0ul), (after.State, after.Documents, after.IndexedVectors, after.SkippedDocuments));
            Assert.Empty(zero.Documents);
            Assert.Equal("a", Assert.Single(hits.Hits).Id);
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
