using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Filtering;
using KrSbert.Search.Querying;
using KrSbert.Storage.Collections;

namespace KrSbert.Search.Tests;

public class VectorCollectionTests
{
    [Fact]
    public async Task Each_document_finds_itself_first_and_answers_survive_a_restart()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();
        var random = new Random(1);
        var vectors = Enumerable.Range(0, 300).Select(i => (Id: $"d{i}", Vector: TemporaryEngine.RandomVector(random, 8))).ToList();
        await temp.Engine.UpsertAsync("vectors", vectors.Select(v => TemporaryEngine.VectorDocument(v.Id, v.Vector)).ToList());

        var before = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = vectors[7].Vector, TopK = 5 });
        await temp.RestartAsync();
        var after = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = vectors[7].Vector, TopK = 5 });

        Assert.Equal("d7", before.Hits[0].Id);
        Assert.Equal(1f, before.Hits[0].Score, 4);
        Assert.Equal(before.Hits.Select(h => h.Id), after.Hits.Select(h => h.Id));
        Assert.Equal("text d7", after.Hits[0].Text);
        Assert.Equal("a", after.Hits[0].Metadata!["category"]);
        Assert.Equal(300, temp.Engine.GetCollection("vectors").IndexedVectors);
    }

    [Fact]
    public async Task Upsert_replaces_and_delete_removes_both_after_a_restart()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();
        float[] first = [1, 0, 0, 0, 0, 0, 0, 0], second = [0, 1, 0, 0, 0, 0, 0, 0];
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("a", first), TemporaryEngine.VectorDocument("b", second)]);

        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("a", second)]);
        Assert.Equal(1, await temp.Engine.DeleteAsync("vectors", ["b", "missing"]));
        await temp.RestartAsync();

        var hits = (await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = second, TopK = 10 })).Hits;
        Assert.Equal(["a"], hits.Select(h => h.Id));
        Assert.Equal(1f, hits[0].Score, 4);
        var info = temp.Engine.GetCollection("vectors");
        Assert.Equal((1, 1L), (info.IndexedVectors, info.Record.DocumentCount));
    }

    [Fact]
    public async Task Filtered_search_equals_brute_force_even_when_few_documents_match()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync(dimension: 16);
        var random = new Random(2);
        var documents = Enumerable.Range(0, 2000).Select(i => TemporaryEngine.VectorDocument($"d{i}", TemporaryEngine.RandomVector(random, 16), i % 100 == 0 ? "rare" : i % 3 == 0 ? "x" : "y")).ToList();
        foreach (var batch in documents.Chunk(500))
        {
            await temp.Engine.UpsertAsync("vectors", batch);
        }

        foreach (string category in new[] { "rare", "x", "y" })
        {
            for (int q = 0; q < 5; q++)
            {
                var request = new SearchRequest { Vector = TemporaryEngine.RandomVector(random, 16), TopK = 10, Filter = MetadataFilter.Equal("category", category), EfSearch = 256 };
                var approximate = await temp.Engine.SearchAsync("vectors", request);
                var exact = await temp.Engine.SearchAsync("vectors", request with { Exact = true });

                Assert.Equal(10, approximate.Hits.Count);
                Assert.All(approximate.Hits, h => Assert.Equal(category, h.Metadata!["category"]));
                Assert.Equal(exact.Hits.Select(h => h.Id), approximate.Hits.Select(h => h.Id));
            }
        }
    }

    [Fact]
    public async Task Delete_by_filter_removes_only_matching_documents()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();
        var random = new Random(3);
        await temp.Engine.UpsertAsync("vectors", Enumerable.Range(0, 50).Select(i => TemporaryEngine.VectorDocument($"d{i}", TemporaryEngine.RandomVector(random, 8), i % 2 == 0 ? "even" : "odd")).ToList());

        int deleted = await temp.Engine.DeleteByFilterAsync("vectors", MetadataFilter.Equal("category", "even"));

        Assert.Equal(25, deleted);
        var hits = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = TemporaryEngine.RandomVector(random, 8), TopK = 50 });
        Assert.Equal(25, hits.Hits.Count);
        Assert.All(hits.Hits, h => Assert.Equal("odd", h.Metadata!["category"]));
    }

    [Fact]
    public async Task Score_threshold_drops_weaker_hits()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();
        await temp.Engine.UpsertAsync("vectors", [
            TemporaryEngine.VectorDocument("same", [1, 0, 0, 0, 0, 0, 0, 0]),
            TemporaryEngine.VectorDocument("close", [1, 0.2f, 0, 0, 0, 0, 0, 0]),
            TemporaryEngine.VectorDocument("far", [0, 0, 1, 0, 0, 0, 0, 0])]);

        var hits = await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = [1, 0, 0, 0, 0, 0, 0, 0], ScoreThreshold = 0.9f });

        Assert.Equal(["same", "close"], hits.Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task Bad_input_gets_a_specific_error_and_changes_nothing()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("a", [1, 0, 0, 0, 0, 0, 0, 0])]);

        var wrongDimension = await Assert.ThrowsAsync<InvalidDocumentsException>(() => temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("b", [1, 0, 0])]));
        var nan = await Assert.ThrowsAsync<InvalidDocumentsException>(() => temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("c", [float.NaN, 0, 0, 0, 0, 0, 0, 0])]));
        await Assert.ThrowsAsync<CollectionMismatchException>(() => temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = [1, 0] }));
        await Assert.ThrowsAsync<ArgumentException>(() => temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = new float[8], TopK = 0 }));
        await Assert.ThrowsAsync<LimitExceededException>(() => temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = new float[8], TopK = 10_001 }));
        await Assert.ThrowsAsync<CollectionNotFoundException>(() => temp.Engine.SearchAsync("nope", new SearchRequest { Vector = new float[8] }));
        await Assert.ThrowsAsync<ArgumentException>(() => temp.Engine.CreateCollectionAsync(new CollectionDefinition { Name = "", Dimension = 8 }));
        await Assert.ThrowsAsync<CollectionExistsException>(() => temp.Engine.CreateCollectionAsync(new CollectionDefinition { Name = "vectors", Dimension = 8 }));

        Assert.Equal("documents[0].vector", wrongDimension.ParamName);
        Assert.Contains("finite", nan.Message, StringComparison.Ordinal);
        var info = temp.Engine.GetCollection("vectors");
        Assert.Equal((1L, 1L, 1), (info.Record.Sequence, info.Record.DocumentCount, info.IndexedVectors));
    }

    [Fact]
    public async Task Partial_upsert_stores_the_valid_documents_and_reports_the_invalid_by_id()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();

        var result = await temp.Engine.UpsertAsync("vectors", [
            TemporaryEngine.VectorDocument("ok1", [1, 0, 0, 0, 0, 0, 0, 0]),
            TemporaryEngine.VectorDocument("bad", [1, 0]),
            TemporaryEngine.VectorDocument("ok2", [0, 1, 0, 0, 0, 0, 0, 0])], allOrNothing: false);

        Assert.Equal(["ok1", "ok2"], result.Ids);
        var failure = Assert.Single(result.Failures);
        Assert.Equal((1, "bad", "vector"), (failure.Index, failure.Id, failure.Field));
    }

    [Fact]
    public async Task The_same_id_twice_in_a_request_keeps_the_last()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();

        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("a", [1, 0, 0, 0, 0, 0, 0, 0]), TemporaryEngine.VectorDocument("a", [0, 1, 0, 0, 0, 0, 0, 0])]);

        var hit = Assert.Single((await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = [0, 1, 0, 0, 0, 0, 0, 0] })).Hits);
        Assert.Equal(1f, hit.Score, 4);
        Assert.Equal(1, temp.Engine.GetCollection("vectors").IndexedVectors);
    }

    [Fact]
    public async Task A_deleted_collection_is_gone_and_its_name_reusable()
    {
        await using var temp = await TemporaryEngine.StartAsync();
        await temp.CreateVectorCollectionAsync();
        await temp.Engine.UpsertAsync("vectors", [TemporaryEngine.VectorDocument("a", [1, 0, 0, 0, 0, 0, 0, 0])]);

        Assert.True(await temp.Engine.DeleteCollectionAsync("vectors"));
        Assert.Throws<CollectionNotFoundException>(() => temp.Engine.GetCollection("vectors"));
        await temp.CreateVectorCollectionAsync(dimension: 4);

        Assert.Empty((await temp.Engine.SearchAsync("vectors", new SearchRequest { Vector = [1, 0, 0, 0] })).Hits);
    }
}
