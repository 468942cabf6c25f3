using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using KrSbert.Cli.Bench;
using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tokenization;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Lexical;
using KrSbert.Search.Querying;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert bench lexical</c>: paraphrase retrieval on KorSTS. Queries are sentence1 of the train+dev pairs scored
/// at least 4 whose sentences differ; the relevant document is that pair's sentence2 among every unique sentence2.
/// Prints MRR@10 and R@1/10/100 for BM25 (k1 0.9, b 0.4) over several term units: whitespace words, the engine's
/// Korean syllable unigrams and bigrams (measured through the engine's lexical index), in-word bigrams alone, and
/// with <c>--vocab</c>, WordPiece ids with bigrams. With <c>--hybrid</c>, it stores the documents with the embedded
/// English model and compares dense search alone with hybrid (RRF, and convex with alpha tuned on the train queries),
/// reported on the dev queries.
/// </summary>
internal static class BenchLexicalCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Folder with KorSTS sts-train.tsv and sts-dev.tsv", DefaultValueFactory = _ => "../shared/data/korsts" };
        var vocab = new Option<string?>("--vocab") { Description = "A WordPiece vocab.txt (e.g. KR-SBERT's) to add the WordPiece-id variants" };
        var hybrid = new Option<bool>("--hybrid") { Description = "Also compare dense and hybrid search with the embedded model (embeds every sentence)" };
        var scale = new Option<int>("--scale") { Description = "Also time an engine of this many documents (three KorSTS sentences each): lexical and hybrid query p50/p99, rebuild docs/s, sizes", DefaultValueFactory = _ => 0 };
        var shards = new Option<int>("--shards") { Description = "Also split the engine index over this many shards, each scoring BM25 with its own statistics, merged by score as cluster mode does", DefaultValueFactory = _ => 0 };
        var command = new Command("lexical", "Measure lexical retrieval quality on KorSTS paraphrases") { data, vocab, hybrid, scale, shards };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(() => RunAsync(result.GetValue(data)!, result.GetValue(vocab), result.GetValue(hybrid), result.GetValue(scale), result.GetValue(shards), cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(string folder, string? vocabPath, bool hybrid, int scale, int shards, CancellationToken cancellationToken)
    {
        if (shards is < 0 or > Cluster.Sharding.ShardMap.MaxShards)
        {
            throw new ArgumentOutOfRangeException(nameof(shards), shards, $"--shards is {shards}; give 0 (none) to {Cluster.Sharding.ShardMap.MaxShards}.");
        }

        var pairs = new List<(string First, string Second, double Score, bool Dev)>();
        foreach (string file in new[] { "sts-train.tsv", "sts-dev.tsv" })
        {
            foreach (string line in File.ReadLines(Path.Combine(folder, file)).Skip(1))
            {
                string[] fields = line.Split('\t');
                if (fields.Length >= 7 && double.TryParse(fields[4], NumberStyles.Float, CultureInfo.InvariantCulture, out double score))
                {
                    pairs.Add((fields[5], fields[6], score, file == "sts-dev.tsv"));
                }
            }
        }

        List<string> documents = pairs.Select(p => p.Second).Distinct(StringComparer.Ordinal).ToList();
        var index = documents.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i, StringComparer.Ordinal);
        List<(string Query, int Relevant)> queries = pairs.Where(p => p.Score >= 4 && p.First != p.Second).Select(p => (p.First, index[p.Second])).ToList();
        Console.WriteLine($"cpu: {BenchEmbedCommand.CpuDescription()}; {Environment.ProcessorCount} logical cores");
        Console.WriteLine($"{queries.Count} queries over {documents.Count} documents (KorSTS train+dev, score >= 4, sentences differ); BM25 k1 0.9, b 0.4");
        Console.WriteLine($"{"term unit",-34} {"MRR@10",7} {"R@1",6} {"R@10",6} {"R@100",6}");

        Report("whitespace", queries, Variant(documents, Whitespace));
        Report("in-word bigrams", queries, Variant(documents, t => KoreanAnalyzer.Terms(t).Where(x => x.Length > 1 || !IsHangul(x[0]))));
        Report("unigrams + bigrams (bench scorer)", queries, Variant(documents, KoreanAnalyzer.Terms));
        await ReportEngineAsync(documents, queries, cancellationToken).ConfigureAwait(false);
        if (shards > 0)
        {
            await using ShardedLexicalIndex sharded = await ShardedLexicalIndex.BuildAsync(documents, shards, cancellationToken).ConfigureAwait(false);
            var results = new Dictionary<string, int[]>(StringComparer.Ordinal);
            foreach (string query in queries.Select(q => q.Query).Distinct(StringComparer.Ordinal))
            {
                results[query] = await sharded.SearchAsync(query, 100, cancellationToken).ConfigureAwait(false);
            }

            Report(string.Create(CultureInfo.InvariantCulture, $"engine, {shards} shards, own BM25 stats"), queries, (query, _) => results[query]);
        }

        if (vocabPath is not null)
        {
            using FileStream stream = File.OpenRead(vocabPath);
            WordPieceTokenizer tokenizer = WordPieceTokenizer.Create(stream, new WordPieceTokenizerOptions { MaxSequenceLength = 4096 });
            IEnumerable<string> Ids(string text) => tokenizer.EncodeIds(text, out _).Where(id => id != tokenizer.ClassificationId && id != tokenizer.SeparatorId).Select(id => "#" + id.ToString(CultureInfo.InvariantCulture));
            Report("WordPiece ids", queries, Variant(documents, Ids));
            Report("WordPiece ids + bigrams", queries, Variant(documents, t => Ids(t).Concat(KoreanAnalyzer.Terms(t).Where(x => x.Length == 2 && IsHangul(x[0])))));
        }

        if (scale > 0)
        {
            string[] sentences = [.. pairs.SelectMany(p => new[] { p.First, p.Second }).Distinct(StringComparer.Ordinal)];
            await ReportScaleAsync(sentences, [.. queries.Select(q => q.Query).Distinct(StringComparer.Ordinal)], scale, cancellationToken).ConfigureAwait(false);
        }

        if (hybrid)
        {
            var dev = pairs.Where(p => p.Score >= 4 && p.First != p.Second).Select(p => p.Dev).ToList();
            await ReportHybridAsync(documents, queries, dev, cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static Func<string, int, int[]> Variant(List<string> documents, Func<string, IEnumerable<string>> terms)
    {
        var bm25 = new TermBm25(documents.Select(d => (IReadOnlyList<string>)terms(d).ToList()).ToList(), Bm25.Default);
        return (query, k) => bm25.Search(terms(query), k);
    }

    /// <summary>The engine's own lexical index: the documents stored in a temporary collection, queried in lexical mode.</summary>
    private static async Task ReportEngineAsync(List<string> documents, List<(string Query, int Relevant)> queries, CancellationToken cancellationToken)
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-lexical-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data }, embedder: null, cancellationToken: cancellationToken).ConfigureAwait(false);
            await engine.CreateCollectionAsync(new CollectionDefinition { Name = "korsts", Dimension = 2 }, cancellationToken).ConfigureAwait(false);
            long started = Stopwatch.GetTimestamp();
            foreach (var batch in documents.Select((text, i) => new DocumentInput($"d{i}", text, [1, (i % 7) + 1])).Chunk(500))
            {
                await engine.UpsertAsync("korsts", batch, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            double stored = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var latencies = new List<double>(queries.Count);
            var results = new Dictionary<string, int[]>(StringComparer.Ordinal);
            foreach ((string query, _) in queries)
            {
                if (results.ContainsKey(query))
                {
                    continue;
                }

                long queryStarted = Stopwatch.GetTimestamp();
                SearchResult found = await engine.SearchAsync("korsts", new SearchRequest { Text = query, Mode = QueryMode.Lexical, TopK = 100, IncludeText = false, IncludeMetadata = false }, cancellationToken).ConfigureAwait(false);
                latencies.Add(Stopwatch.GetElapsedTime(queryStarted).TotalMilliseconds);
                results[query] = [.. found.Hits.Select(h => int.Parse(h.Id.AsSpan(1), CultureInfo.InvariantCulture))];
            }

            Report("unigrams + bigrams (engine index)", queries, (query, k) => results[query]);
            latencies.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"engine: stored {documents.Count} documents in {stored:F1} s; lexical query p50 {latencies[latencies.Count / 2]:F2} ms, p99 {latencies[(int)(latencies.Count * 0.99)]:F2} ms (top 100)"));
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    /// <summary>Dense alone against hybrid, with the embedded model: each query embedded once, then searched per fusion.</summary>
    private static async Task ReportHybridAsync(List<string> documents, List<(string Query, int Relevant)> queries, List<bool> dev, CancellationToken cancellationToken)
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-hybrid-" + Guid.NewGuid().ToString("N"));
        try
        {
            using SentenceEmbedder embedder = SentenceEmbedder.LoadDefault();
            await using var engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data }, embedder, cancellationToken: cancellationToken).ConfigureAwait(false);
            await engine.CreateCollectionAsync(new CollectionDefinition { Name = "korsts" }, cancellationToken).ConfigureAwait(false);
            long started = Stopwatch.GetTimestamp();
            foreach (var batch in documents.Select((text, i) => new DocumentInput($"d{i}", text)).Chunk(256))
            {
                await engine.UpsertAsync("korsts", batch, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hybrid: embedded and stored {documents.Count} documents with {embedder.Model.Name} in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
            var settings = engine.Store.GetCollection("korsts")!.Settings;
            var request = new EmbeddingRequest { Pooling = PoolingModes.Parse(settings.Pooling), Normalize = settings.Normalize };
            string[] distinct = [.. queries.Select(q => q.Query).Distinct(StringComparer.Ordinal)];
            var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (string[] batch in distinct.Chunk(256))
            {
                var embedded = await embedder.EmbedAsync(batch, request, cancellationToken).ConfigureAwait(false);
                for (int i = 0; i < batch.Length; i++)
                {
                    vectors[batch[i]] = embedded[i].Vector;
                }
            }

            async Task<Dictionary<string, int[]>> RunAll(QueryMode mode, Fusion fusion)
            {
                var results = new Dictionary<string, int[]>(StringComparer.Ordinal);
                foreach (string query in distinct)
                {
                    var search = new SearchRequest { Text = mode == QueryMode.Dense ? null : query, Vector = mode == QueryMode.Lexical ? null : vectors[query], Mode = mode, Fusion = fusion, TopK = 100, IncludeText = false, IncludeMetadata = false };
                    SearchResult found = await engine.SearchAsync("korsts", search, cancellationToken).ConfigureAwait(false);
                    results[query] = [.. found.Hits.Select(h => int.Parse(h.Id.AsSpan(1), CultureInfo.InvariantCulture))];
                }

                return results;
            }

            var train = queries.Where((_, i) => !dev[i]).ToList();
            var devQueries = queries.Where((_, i) => dev[i]).ToList();
            double bestAlpha = 0, bestMrr = -1;
            for (int step = 0; step <= 10; step++)
            {
                double alpha = step / 10.0;
                var convex = await RunAll(QueryMode.Hybrid, new Fusion { Method = FusionMethod.Convex, Alpha = alpha }).ConfigureAwait(false);
                double mrr = Mrr(train, convex);
                if (mrr > bestMrr)
                {
                    (bestMrr, bestAlpha) = (mrr, alpha);
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"convex alpha tuned on {train.Count} train queries: {bestAlpha:F1} (train MRR@10 {bestMrr:F3}); below: {devQueries.Count} dev queries"));
            var dense = await RunAll(QueryMode.Dense, new Fusion()).ConfigureAwait(false);
            var lexical = await RunAll(QueryMode.Lexical, new Fusion()).ConfigureAwait(false);
            var rrf = await RunAll(QueryMode.Hybrid, new Fusion { Method = FusionMethod.Rrf }).ConfigureAwait(false);
            var half = await RunAll(QueryMode.Hybrid, new Fusion { Method = FusionMethod.Convex, Alpha = 0.5 }).ConfigureAwait(false);
            var tuned = await RunAll(QueryMode.Hybrid, new Fusion { Method = FusionMethod.Convex, Alpha = bestAlpha }).ConfigureAwait(false);
            Report("dev: dense (embedded model)", devQueries, (q, _) => dense[q]);
            Report("dev: lexical", devQueries, (q, _) => lexical[q]);
            Report("dev: hybrid rrf (k 60)", devQueries, (q, _) => rrf[q]);
            Report("dev: hybrid convex alpha 0.5", devQueries, (q, _) => half[q]);
            Report(string.Create(CultureInfo.InvariantCulture, $"dev: hybrid convex alpha {bestAlpha:F1}"), devQueries, (q, _) => tuned[q]);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    /// <summary>
    /// Speed and size at scale: documents of three random KorSTS sentences with random 4-dimension vectors (the dense
    /// leg's cost is HNSW search without embedding). Memory is the managed heap the open engine holds (catalog and
    /// lexical index; the HNSW graph lives in native memory and is excluded).
    /// </summary>
    private static async Task ReportScaleAsync(string[] sentences, string[] queries, int count, CancellationToken cancellationToken)
    {
        string data = Path.Combine(Path.GetTempPath(), "krsbert-lexical-scale-" + Guid.NewGuid().ToString("N"));
        var random = new Random(1);
        var options = new SearchEngineOptions { DataDirectory = data, SnapshotEveryChanges = int.MaxValue };
        long before = GC.GetTotalMemory(forceFullCollection: true);
        try
        {
            long characters = 0;
            await using (var engine = await SearchEngine.OpenAsync(options, embedder: null, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                await engine.CreateCollectionAsync(new CollectionDefinition { Name = "scale", Dimension = 4 }, cancellationToken).ConfigureAwait(false);
                long started = Stopwatch.GetTimestamp();
                for (int first = 0; first < count; first += 1000)
                {
                    var batch = Enumerable.Range(first, Math.Min(1000, count - first)).Select(i =>
                    {
                        string text = string.Join(' ', sentences[random.Next(sentences.Length)], sentences[random.Next(sentences.Length)], sentences[random.Next(sentences.Length)]);
                        characters += text.Length;
                        return new DocumentInput($"d{i}", text, [1, (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble()]);
                    }).ToList();
                    await engine.UpsertAsync("scale", batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scale: stored {count} documents ({characters / (double)count:F0} characters each) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
                started = Stopwatch.GetTimestamp();
                await engine.RebuildIndexAsync("scale", cancellationToken: cancellationToken).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scale: rebuilt HNSW (4-d) and lexical from the store in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s ({count / Stopwatch.GetElapsedTime(started).TotalSeconds:F0} docs/s), snapshot included"));
            }

            await using (var engine = await SearchEngine.OpenAsync(options, embedder: null, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                long held = GC.GetTotalMemory(forceFullCollection: true) - before;
                var snapshot = engine.Store.ListSnapshots("scale")[0];
                long disk = Directory.GetFiles(data).Sum(f => new FileInfo(f).Length);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scale: managed heap of the open engine {held / (double)count:F0} bytes/doc; snapshot (HNSW + lexical parts) {snapshot.Length / (double)count:F0} bytes/doc; database on disk {disk / (double)count:F0} bytes/doc"));
                foreach (QueryMode mode in new[] { QueryMode.Lexical, QueryMode.Hybrid })
                {
                    var latencies = new List<double>(queries.Length);
                    // Processor time beside wall time: on a shared machine, waits for a core swell the wall times.
                    TimeSpan processorBefore = Process.GetCurrentProcess().TotalProcessorTime;
                    foreach (string query in queries)
                    {
                        var request = new SearchRequest { Text = query, Vector = mode == QueryMode.Hybrid ? [1, (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble()] : null, Mode = mode, TopK = 10, IncludeText = false, IncludeMetadata = false };
                        long started = Stopwatch.GetTimestamp();
                        await engine.SearchAsync("scale", request, cancellationToken).ConfigureAwait(false);
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }

                    double processor = (Process.GetCurrentProcess().TotalProcessorTime - processorBefore).TotalMilliseconds / queries.Length;
                    latencies.Sort();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scale: {mode.ToString().ToLowerInvariant()} top 10 over {queries.Length} queries, one at a time: p50 {latencies[latencies.Count / 2]:F2} ms, p99 {latencies[(int)(latencies.Count * 0.99)]:F2} ms, processor time {processor:F2} ms/query"));
                }
            }
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static double Mrr(List<(string Query, int Relevant)> queries, Dictionary<string, int[]> results) =>
        queries.Average(q => Array.IndexOf(results[q.Query], q.Relevant) is int i and >= 0 and < 10 ? 1.0 / (i + 1) : 0);

    private static void Report(string name, List<(string Query, int Relevant)> queries, Func<string, int, int[]> search)
    {
        double reciprocal = 0;
        int at1 = 0, at10 = 0, at100 = 0;
        foreach ((string query, int relevant) in queries)
        {
            int rank = Array.IndexOf(search(query, 100), relevant) + 1;
            if (rank == 0)
            {
                continue;
            }

            reciprocal += rank <= 10 ? 1.0 / rank : 0;
            at1 += rank <= 1 ? 1 : 0;
            at10 += rank <= 10 ? 1 : 0;
            at100 += 1;
        }

        double n = queries.Count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-34} {reciprocal / n,7:F3} {at1 / n,6:F3} {at10 / n,6:F3} {at100 / n,6:F3}"));
    }

    private static IEnumerable<string> Whitespace(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.ToLowerInvariant());

    private static bool IsHangul(char c) => c is >= '\uAC00' and <= '\uD7A3';
}
