using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Search.Documents;
using KrSbert.Search.Filtering;
using KrSbert.Search.Indexing;
using KrSbert.Search.Lexical;
using KrSbert.Search.Querying;
using KrSbert.Storage;
using KrSbert.Storage.Collections;

namespace KrSbert.Search.Tests;

/// <summary>The lexical leg through the engine, on collections of one's own vectors with texts.</summary>
public class LexicalIndexTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Bm25_scores_equal_hand_computed_ones_on_a_three_document_corpus()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        // Terms: d1 경 경찰 찰 사 사건 건 (6); d2 경 경찰 찰 찰은 은 아 아이 이 이를 를 (10); d3 apple pie (2).
        await Upsert(temp, ("d1", "경찰 사건"), ("d2", "경찰은 아이를"), ("d3", "apple pie")).WaitAsync(Timeout);

        var result = await temp.Engine.SearchAsync("vectors", Lexical("경찰")).WaitAsync(Timeout);

        // N = 3 chunks, average length 6; 경, 경찰 and 찰 are each in 2 chunks once.
        double idf = Math.Log(1 + ((3 - 2 + 0.5) / (2 + 0.5)));
        double d1 = 3 * idf * 1.9 / (1 + (0.9 * (0.6 + (0.4 * 6 / 6.0))));
        double d2 = 3 * idf * 1.9 / (1 + (0.9 * (0.6 + (0.4 * 10 / 6.0))));
        Assert.Equal(["d1", "d2"], result.Hits.Select(h => h.Id));
        Assert.Equal(d1, result.Hits[0].Score, 5);
        Assert.Equal(d2, result.Hits[1].Score, 5);
    }

    [Fact]
    public async Task A_query_may_set_its_own_k1_and_b()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await Upsert(temp, ("d1", "경찰 사건"), ("d2", "경찰은 아이를"), ("d3", "apple pie")).WaitAsync(Timeout);

        var result = await temp.Engine.SearchAsync("vectors", Lexical("경찰") with { Bm25K1 = 1.2, Bm25B = 0.75 }).WaitAsync(Timeout);

        // Lengths 6 and 10 against an average of 6, as above, at k1 1.2 and b 0.75.
        double idf = Math.Log(1 + ((3 - 2 + 0.5) / (2 + 0.5)));
        Assert.Equal(3 * idf * 2.2 / (1 + (1.2 * (0.25 + (0.75 * 6 / 6.0)))), result.Hits[0].Score, 5);
        Assert.Equal(3 * idf * 2.2 / (1 + (1.2 * (0.25 + (0.75 * 10 / 6.0)))), result.Hits[1].Score, 5);
    }

    [Fact]
    public async Task A_collections_k1_and_b_score_its_queries_after_a_restart_a_replay_and_a_rebuild()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.Engine.CreateCollectionAsync(new Collections.CollectionDefinition { Name = "vectors", Dimension = 8, Bm25 = new(1.2, 0.75) }).WaitAsync(Timeout);
        await Upsert(temp, ("d1", "경찰 사건"), ("d2", "경찰은 아이를"), ("d3", "apple pie")).WaitAsync(Timeout);
        double idf = Math.Log(1 + ((3 - 2 + 0.5) / (2 + 0.5)));
        double[] expected = [3 * idf * 2.2 / (1 + (1.2 * (0.25 + (0.75 * 6 / 6.0)))), 3 * idf * 2.2 / (1 + (1.2 * (0.25 + (0.75 * 10 / 6.0))))];

        async Task<double[]> Scores() => [.. (await temp.Engine.SearchAsync("vectors", Lexical("경찰")).WaitAsync(Timeout)).Hits.Select(h => (double)h.Score)];

        Assert.Equal(expected, await Scores(), new ToleranceComparer(1e-5));
        await temp.RestartAsync().WaitAsync(Timeout);
        Assert.Equal(expected, await Scores(), new ToleranceComparer(1e-5));
        await temp.Engine.SnapshotAllAsync().WaitAsync(Timeout);
        await temp.RestartAsync().WaitAsync(Timeout);
        Assert.Equal(expected, await Scores(), new ToleranceComparer(1e-5));
        await temp.Engine.RebuildIndexAsync("vectors").WaitAsync(Timeout);
        Assert.Equal(expected, await Scores(), new ToleranceComparer(1e-5));
        Assert.Equal((1.2, 0.75), (temp.Engine.GetCollection("vectors").Record.Settings.Bm25K1, temp.Engine.GetCollection("vectors").Record.Settings.Bm25B));
    }

    [Theory]
    [InlineData(-0.1, 0.4, "bm25_k1")]
    [InlineData(double.NaN, 0.4, "bm25_k1")]
    [InlineData(double.PositiveInfinity, 0.4, "bm25_k1")]
    [InlineData(1e308, 0.4, "bm25_k1")]
    [InlineData(0.9, 1.2, "bm25_b")]
    [InlineData(0.9, -0.01, "bm25_b")]
    [InlineData(0.9, double.NaN, "bm25_b")]
    public async Task A_collection_with_bad_k1_or_b_is_refused_naming_the_field_and_not_created(double k1, double b, string field)
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => temp.Engine.CreateCollectionAsync(new Collections.CollectionDefinition { Name = "vectors", Dimension = 8, Bm25 = new(k1, b) })).WaitAsync(Timeout);

        Assert.StartsWith(field + " is", e.Message);
        Assert.Null(temp.Engine.Store.GetCollection("vectors"));
    }

    [Fact]
    public async Task A_data_folder_from_before_bm25_settings_opens_with_k1_0_9_and_b_0_4()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.Engine.CreateCollectionAsync(new Collections.CollectionDefinition { Name = "vectors", Dimension = 8, Bm25 = new(2, 1) }).WaitAsync(Timeout);
        await Upsert(temp, ("d1", "경찰 사건"), ("d2", "경찰은 아이를"), ("d3", "apple pie")).WaitAsync(Timeout);
        await temp.Engine.DisposeAsync().AsTask().WaitAsync(Timeout);

        // The collection record as the version before k1 and b were stored wrote it.
        using (var db = new LiteDB.LiteDatabase(Path.Combine(temp.DataDirectory, "krsbert.db")))
        {
            var collections = db.GetCollection("collections");
            LiteDB.BsonDocument record = collections.FindById("vectors");
            Assert.True(record.Remove("bm25_k1") && record.Remove("bm25_b"));
            collections.Update(record);
        }

        await temp.RestartAsyncAfterDispose().WaitAsync(Timeout);

        var result = await temp.Engine.SearchAsync("vectors", Lexical("경찰")).WaitAsync(Timeout);
        double idf = Math.Log(1 + ((3 - 2 + 0.5) / (2 + 0.5)));
        Assert.Equal(3 * idf * 1.9 / (1 + (0.9 * (0.6 + (0.4 * 10 / 6.0)))), result.Hits[1].Score, 5);
        Assert.Equal((0.9, 0.4), (temp.Engine.GetCollection("vectors").Record.Settings.Bm25K1, temp.Engine.GetCollection("vectors").Record.Settings.Bm25B));
    }

    [Fact]
    public async Task A_document_whose_many_chunks_outscore_the_others_counts_once_and_top_k_still_fills()
    {
        await using var temp = await TemporaryEngine.StartAsync(Embedders.MiniLm).WaitAsync(Timeout);
        await temp.Engine.CreateCollectionAsync(new Collections.CollectionDefinition { Name = "articles", Chunking = new Chunking.ChunkingOptions(16, 0) }).WaitAsync(Timeout);
        string many = string.Join(' ', Enumerable.Repeat("경찰 경찰 경찰", 40));
        await temp.Engine.UpsertAsync("articles", [
            new DocumentInput("many", many),
            new DocumentInput("one", "경찰은 어제 현장에 도착했다 그리고 오래 머물렀다"),
            new DocumentInput("two", "경찰의 수사는 아직 끝나지 않았고 시민들은 결과를 기다린다"),
            new DocumentInput("none", "오늘 날씨가 맑다"),
        ]).WaitAsync(Timeout);
        int chunks = temp.Engine.ReadIndexes("articles", (_, lexical) => lexical.ChunkCount);

        var result = await temp.Engine.SearchAsync("articles", new SearchRequest { Text = "경찰", Mode = QueryMode.Lexical, TopK = 3 }).WaitAsync(Timeout);

        Assert.True(chunks > 8, $"{chunks} chunks");
        Assert.Equal(3, result.Hits.Count);
        Assert.Equal("many", result.Hits[0].Id);
        Assert.Equal(["one", "two"], result.Hits.Skip(1).Select(h => h.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Every_bare_noun_finds_its_noun_and_particle_document_first()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await Upsert(temp,
            ("police", "경찰은 어제 현장에 도착했다"),
            ("child", "아이의 웃음소리가 들렸다"),
            ("case", "사건과 관련된 기록을 찾았다"),
            ("other", "오늘 날씨가 맑고 바람이 분다")).WaitAsync(Timeout);

        foreach ((string noun, string expected) in new[] { ("경찰", "police"), ("아이", "child"), ("사건", "case") })
        {
            var result = await temp.Engine.SearchAsync("vectors", Lexical(noun)).WaitAsync(Timeout);
            Assert.Equal(expected, result.Hits[0].Id);
        }
    }

    [Fact]
    public async Task Filters_apply_to_the_lexical_leg()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        var random = new Random(3);
        await temp.Engine.UpsertAsync("vectors", [
            new DocumentInput("a", "경찰 경찰 경찰", TemporaryEngine.RandomVector(random, 8), new Dictionary<string, string> { ["category"] = "x" }),
            new DocumentInput("b", "경찰은", TemporaryEngine.RandomVector(random, 8), new Dictionary<string, string> { ["category"] = "y" }),
        ]).WaitAsync(Timeout);

        var result = await temp.Engine.SearchAsync("vectors", Lexical("경찰") with { Filter = MetadataFilter.Equal("category", "y") }).WaitAsync(Timeout);

        Assert.Equal(["b"], result.Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task A_deleted_or_replaced_document_leaves_the_lexical_results()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await Upsert(temp, ("d1", "경찰은 출동했다"), ("d2", "경찰의 수사"), ("d3", "경찰과 시민")).WaitAsync(Timeout);

        await temp.Engine.DeleteAsync("vectors", ["d1"]).WaitAsync(Timeout);
        await Upsert(temp, ("d2", "바다와 하늘")).WaitAsync(Timeout);

        var result = await temp.Engine.SearchAsync("vectors", Lexical("경찰")).WaitAsync(Timeout);
        Assert.Equal(["d3"], result.Hits.Select(h => h.Id));
        Assert.Equal(["d2"], (await temp.Engine.SearchAsync("vectors", Lexical("하늘")).WaitAsync(Timeout)).Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task A_rebuild_gives_postings_and_lexical_results_identical_to_those_kept_up_by_writes()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        var random = new Random(11);
        string[] words = ["경찰은", "아이의", "사건과", "회원", "탈퇴", "KTX", "2026년", "방법을", "알려주세요", "결제"];
        for (int round = 0; round < 5; round++)
        {
            var batch = Enumerable.Range(0, 40).Select(i => ($"d{random.Next(120)}", string.Join(' ', Enumerable.Range(0, 6).Select(_ => words[random.Next(words.Length)])))).DistinctBy(d => d.Item1).ToArray();
            await Upsert(temp, batch).WaitAsync(Timeout);
            await temp.Engine.DeleteAsync("vectors", [$"d{random.Next(120)}", $"d{random.Next(120)}"]).WaitAsync(Timeout);
        }

        byte[] live = Postings(temp.Engine);
        // Scored through the term postings, which updates and deletes rearrange (saved postings come from the chunks).
        async Task<List<string>> Hits()
        {
            var hits = new List<string>();
            foreach (string word in words)
            {
                var request = Lexical(word) with { TopK = 200 };
                hits.AddRange((await temp.Engine.SearchAsync("vectors", request).WaitAsync(Timeout)).Hits.Select(h => $"{word} {h.Id} {h.Score:R}"));
            }

            return hits;
        }

        List<string> liveHits = await Hits();
        CollectionRecord record = temp.Engine.Store.GetCollection("vectors")!;
        using var built = (LexicalIndex)new LexicalIndex.Kind(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Build(temp.Engine.Store, record, progress: null);
        await temp.Engine.RebuildIndexAsync("vectors").WaitAsync(Timeout);

        Assert.Equal(live, Save(built));
        Assert.Equal(live, Postings(temp.Engine));
        Assert.Equal(await Hits(), liveHits);
        Assert.True(liveHits.Count > 200, $"{liveHits.Count} hits");
        Assert.True(built.ChunkCount > 50, $"{built.ChunkCount} chunks");
    }

    [Fact]
    public async Task The_lexical_index_survives_a_restart_and_replays_changes_after_its_snapshot()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        // Enough documents that one delete does not start a compacting rebuild (which would snapshot the late changes).
        await Upsert(temp, [("early1", "경찰은 출동했다"), ("early2", "아이의 웃음"), .. Enumerable.Range(0, 30).Select(i => ($"filler{i}", $"날씨 {i}"))]).WaitAsync(Timeout);
        await temp.Engine.SnapshotAllAsync().WaitAsync(Timeout);
        await Upsert(temp, ("late", "사건과 기록")).WaitAsync(Timeout);
        await temp.Engine.DeleteAsync("vectors", ["early1"]).WaitAsync(Timeout);
        byte[] expected = Postings(temp.Engine);

        // A copy taken before shutdown holds a snapshot older than the log: the late changes must be replayed.
        string copy = temp.DataDirectory + "-copy";
        DataFolderDamage.CopyDatabase(temp.DataDirectory, copy);
        try
        {
            await using (var reopened = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = copy }, embedder: null).WaitAsync(Timeout))
            {
                Assert.Equal((32L, 34L), (reopened.Store.ListSnapshots("vectors")[0].Sequence, reopened.GetCollection("vectors").AppliedSequence));
                Assert.Equal(expected, Postings(reopened));
                Assert.Equal(["late"], (await reopened.SearchAsync("vectors", Lexical("사건")).WaitAsync(Timeout)).Hits.Select(h => h.Id));
                Assert.Empty((await reopened.SearchAsync("vectors", Lexical("경찰")).WaitAsync(Timeout)).Hits);
            }
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }

        await temp.RestartAsync().WaitAsync(Timeout);
        Assert.Equal(expected, Postings(temp.Engine));
        Assert.Equal(["early2"], (await temp.Engine.SearchAsync("vectors", Lexical("아이")).WaitAsync(Timeout)).Hits.Select(h => h.Id));
    }

    [Fact]
    public async Task A_snapshot_from_before_the_lexical_index_gets_one_built_on_open()
    {
        await using var temp = await TemporaryEngine.StartAsync().WaitAsync(Timeout);
        await temp.CreateVectorCollectionAsync().WaitAsync(Timeout);
        await Upsert(temp, ("d1", "경찰은 출동했다"), ("d2", "아이의 웃음")).WaitAsync(Timeout);
        await temp.Engine.SnapshotAllAsync().WaitAsync(Timeout);
        byte[] expected = Postings(temp.Engine);
        await temp.Engine.DisposeAsync().AsTask().WaitAsync(Timeout);

        // Keep only the HNSW part, as a snapshot written before the lexical index existed.
        using (DocumentStore store = DocumentStore.Open(Path.Combine(temp.DataDirectory, "krsbert.db")))
        {
            var newest = store.ListSnapshots("vectors")[0];
            var parts = SnapshotParts.Decode(store.ReadSnapshot(newest), newest.Sequence);
            Assert.Contains(parts, p => p.Name == LexicalIndex.Part);
            await store.SaveSnapshotAsync("vectors", newest.Sequence, SnapshotParts.Encode([.. parts.Where(p => p.Name != LexicalIndex.Part)])).WaitAsync(Timeout);
        }

        await temp.RestartAsyncAfterDispose().WaitAsync(Timeout);

        Assert.Equal(expected, Postings(temp.Engine));
        Assert.Equal(["d1"], (await temp.Engine.SearchAsync("vectors", Lexical("경찰")).WaitAsync(Timeout)).Hits.Select(h => h.Id));
    }

    [Fact]
    public void A_damaged_lexical_part_is_refused_as_invalid_data()
    {
        var kind = new LexicalIndex.Kind(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var record = new CollectionRecord { Name = "c", Number = 1, Settings = null!, CreatedAt = DateTime.UtcNow, Sequence = 1, DocumentCount = 0, ChunkCount = 0, NextDocumentKey = 1, SnapshotGeneration = 0 };

        using var wrongMagic = new MemoryStream("KRSBVEC1\0\0\0\0"u8.ToArray());
        using var truncated = new MemoryStream([.. "KRSBLEX1"u8, 1, 0, 0, 0, 5, 0, 0, 0]);
        using var futureVersion = new MemoryStream([.. "KRSBLEX1"u8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

        Assert.Throws<InvalidDataException>(() => kind.Load(wrongMagic, record, 1));
        Assert.Throws<InvalidDataException>(() => kind.Load(truncated, record, 1));
        Assert.Contains("version 9", Assert.Throws<InvalidDataException>(() => kind.Load(futureVersion, record, 1)).Message);

        // A repeated term would get a second id beside its live one and corrupt later changes.
        using var repeatedTerm = new MemoryStream();
        using (var writer = new BinaryWriter(repeatedTerm, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write("KRSBLEX1"u8);
            writer.Write(1);
            writer.Write(2);
            writer.Write("경찰");
            writer.Write("경찰");
            writer.Write(0);
        }

        repeatedTerm.Position = 0;
        Assert.Contains("terms ascend", Assert.Throws<InvalidDataException>(() => kind.Load(repeatedTerm, record, 1)).Message);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    internal static SearchRequest Lexical(string text) => new() { Text = text, Mode = QueryMode.Lexical, TopK = 10 };

    internal static Task<UpsertResult> Upsert(TemporaryEngine temp, params (string Id, string Text)[] documents)
    {
        var random = new Random(documents.Length);
        return temp.Engine.UpsertAsync("vectors", documents.Select(d => new DocumentInput(d.Id, d.Text, TemporaryEngine.RandomVector(random, 8))).ToList());
    }

    private static byte[] Postings(SearchEngine engine) => engine.ReadIndexes("vectors", (_, lexical) => Save(lexical));

    private static byte[] Save(LexicalIndex index)
    {
        using var stream = new MemoryStream();
        index.Save(stream);
        return stream.ToArray();
    }
}
