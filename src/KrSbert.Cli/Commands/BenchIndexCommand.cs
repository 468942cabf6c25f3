using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using KrSbert.Cli.Bench;
using KrSbert.Index;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert bench index</c>: builds an HNSW index over seeded clustered vectors and prints build time, recall@10
/// and single-threaded queries/s at several ef_search values, filtered recall@10 at 50%, 10% and 1% pass rates beside
/// the unfiltered recall at the same ef, exact-scan queries/s, snapshot save and load times,
/// and bytes per vector in memory and on disk. <c>--export</c> writes the vectors, queries and exact answers for
/// <c>tests/KrSbert.Index.Tests/Tools/hnswlib_compare.py</c>.
/// </summary>
internal static class BenchIndexCommand
{
    private const int K = 10;

    private static readonly string[] s_simdFlags = ["avx2", "fma", "f16c", "avx512f", "avx512_fp16", "avx512_vnni", "amx_tile"];

    public static Command Create()
    {
        var count = new Option<int>("--count", "-n") { Description = "Vectors to index", DefaultValueFactory = _ => 100_000 };
        var dimensions = new Option<int>("--dimensions", "-d") { Description = "Vector length", DefaultValueFactory = _ => 768 };
        var m = new Option<int>("--m") { Description = "HNSW connectivity M", DefaultValueFactory = _ => 16 };
        var efConstruction = new Option<int>("--ef-construction") { Description = "Candidate list length while building", DefaultValueFactory = _ => 200 };
        var storage = new Option<VectorStorage>("--storage") { Description = "Stored scalar type: F32, F16 or I8", DefaultValueFactory = _ => VectorStorage.F32 };
        var queries = new Option<int>("--queries", "-q") { Description = "Queries, drawn from the same clusters as the vectors", DefaultValueFactory = _ => 1000 };
        var efValues = new Option<string>("--ef") { Description = "Comma-separated ef_search values", DefaultValueFactory = _ => "16,32,64,128,256" };
        var clusters = new Option<int>("--clusters") { Description = "Cluster centres (0: one per 100 vectors)", DefaultValueFactory = _ => 0 };
        var spread = new Option<float>("--spread") { Description = "Per-dimension spread around a centre, relative to the centres' own", DefaultValueFactory = _ => 1.2f };
        var seed = new Option<int>("--seed") { Description = "Seed for centres, vectors and queries", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Build threads (0: one per core); queries are always single-threaded", DefaultValueFactory = _ => 0 };
        var fullScan = new Option<long>("--full-scan-threshold-bytes") { Description = "Filtered searches whose matching vectors take at most this many bytes are scanned exactly (0: by cost estimate only)", DefaultValueFactory = _ => HnswOptions.DefaultFullScanThresholdBytes };
        var export = new Option<string?>("--export") { Description = "Also write vectors, queries and exact top-10 to this file for the hnswlib comparison" };
        var repeat = new Option<int>("--repeat") { Description = "Times each ef_search pass runs; the best queries/s is reported, which shrinks the noise of a shared machine", DefaultValueFactory = _ => 1 };
        var skipFiltered = new Option<bool>("--skip-filtered") { Description = "Leave out the filtered-search table (for the hnswlib comparison, which has none)" };
        var command = new Command("index", "Measure the HNSW index: build time, recall@10 and queries/s per ef_search, snapshot save/load")
        {
            count, dimensions, m, efConstruction, storage, queries, efValues, clusters, spread, seed, threads, fullScan, export, repeat, skipFiltered,
        };
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(() => Task.FromResult(Run(
            new Settings(
                result.GetValue(count),
                result.GetValue(queries),
                result.GetValue(clusters),
                result.GetValue(spread),
                result.GetValue(seed),
                result.GetValue(threads),
                ParseEfValues(result.GetValue(efValues)!),
                result.GetValue(export),
                result.GetValue(repeat),
                result.GetValue(skipFiltered)),
            new HnswOptions
            {
                Dimensions = result.GetValue(dimensions),
                M = result.GetValue(m),
                EfConstruction = result.GetValue(efConstruction),
                Storage = result.GetValue(storage),
                FullScanThresholdBytes = result.GetValue(fullScan),
            },
            cancellationToken))));
        return command;
    }

    private static int Run(Settings settings, HnswOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Count, K, "--count");
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Queries, 1, "--queries");
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Repeat, 1, "--repeat");
        int clusterCount = settings.Clusters > 0 ? settings.Clusters : Math.Max(1, settings.Count / 100);
        int d = options.Dimensions;

        Console.WriteLine($"cpu: {CpuDescription()}; {Environment.ProcessorCount} logical cores");
        long start = Stopwatch.GetTimestamp();
        var source = new SyntheticClusters(d, clusterCount, settings.Spread, settings.Seed);
        float[] vectors = source.Sample(settings.Count, settings.Seed + 1);
        float[] queryVectors = source.Sample(settings.Queries, settings.Seed + 2);
        ulong[] keys = [.. Enumerable.Range(0, settings.Count).Select(i => (ulong)i)];
        Console.WriteLine(Invariant($"data: {settings.Count} x {d} around {clusterCount} centres, spread {settings.Spread}, seed {settings.Seed}; {settings.Queries} queries ({Seconds(start):F1} s to generate)"));

        start = Stopwatch.GetTimestamp();
        var truth = new VectorHit[settings.Queries][];
        Parallel.For(0, settings.Queries, new ParallelOptions { CancellationToken = cancellationToken }, q =>
            truth[q] = ExactSearch.Search(queryVectors.AsSpan(q * d, d), keys, vectors, K));
        Console.WriteLine(Invariant($"exact top-{K}: {Seconds(start):F1} s on {Environment.ProcessorCount} threads (ExactSearch)"));

        if (settings.Export is { } exportPath)
        {
            Export(exportPath, settings, options, vectors, queryVectors, truth);
            Console.WriteLine($"exported: {exportPath}");
        }

        cancellationToken.ThrowIfCancellationRequested();
        // The hnswlib script imports its module before it measures; here the same is loading the native libraries
        // (about 4 MB of code, 200 bytes a vector at 20,000) and compiling the add path, on a throwaway index.
        using (HnswIndex warmUp = HnswIndex.Create(options))
        {
            int rows = Math.Min(settings.Count, 256);
            warmUp.AddBatch(keys.AsSpan(0, rows), vectors.AsSpan(0, rows * d));
            warmUp.Search(queryVectors.AsSpan(0, d), K);
        }

        long rssBefore = ResidentBytes();
        using HnswIndex index = HnswIndex.Create(options);
        int buildThreads = settings.Threads > 0 ? settings.Threads : Environment.ProcessorCount;
        start = Stopwatch.GetTimestamp();
        TimeSpan cpuStart = ProcessorTime();
        index.AddBatch(keys, vectors, buildThreads);
        double build = Seconds(start);
        double buildCpu = (ProcessorTime() - cpuStart).TotalSeconds;
        long rssGrowth = ResidentBytes() - rssBefore;
        long memory = index.MemoryBytes;
        Console.WriteLine($"engine: {index.Engine}; M {options.M}, ef_construction {options.EfConstruction}, storage {options.Storage}, metric {options.Metric}");
        Console.WriteLine(Invariant($"build: {build:F1} s on {buildThreads} threads ({settings.Count / build:F0} vectors/s), {buildCpu:F1} s of processor time"));
        Console.WriteLine(Invariant($"memory: RSS growth {rssGrowth / 1048576.0:F1} MiB over the build, {(double)rssGrowth / settings.Count:F0} bytes/vector; USearch reports {memory / 1048576.0:F1} MiB, {(double)memory / settings.Count:F0} bytes/vector with reserved slots (raw f32 vector: {d * sizeof(float)})"));

        Console.WriteLine(Invariant($"ef_search  recall@10  queries/s  per CPU s  (one thread, one query at a time, best of {settings.Repeat}; per CPU s: over the process's processor time, which other load on the machine inflates less than the wall clock)"));
        var unfilteredRecall = new Dictionary<int, double>();
        foreach (int ef in settings.EfValues)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (int q = 0; q < Math.Min(50, settings.Queries); q++)
            {
                index.Search(queryVectors.AsSpan(q * d, d), K, ef);
            }

            double recall = 0;
            double elapsed = double.MaxValue;
            double searchCpu = double.MaxValue;
            var found = new VectorHit[settings.Queries][];
            for (int pass = 0; pass < settings.Repeat; pass++)
            {
                start = Stopwatch.GetTimestamp();
                TimeSpan searchCpuStart = ProcessorTime();
                for (int q = 0; q < settings.Queries; q++)
                {
                    found[q] = index.Search(queryVectors.AsSpan(q * d, d), K, ef);
                }

                elapsed = Math.Min(elapsed, Seconds(start));
                searchCpu = Math.Min(searchCpu, (ProcessorTime() - searchCpuStart).TotalSeconds);
            }

            for (int q = 0; q < settings.Queries; q++)
            {
                recall += Recall(truth[q], found[q]);
            }

            unfilteredRecall[ef] = recall / settings.Queries;
            Console.WriteLine(Invariant($"{ef,9}  {recall / settings.Queries,9:F4}  {settings.Queries / elapsed,9:F0}  {settings.Queries / searchCpu,9:F0}"));
        }

        if (!settings.SkipFiltered)
        {
            MeasureFiltered(index, settings, keys, vectors, queryVectors, unfilteredRecall, cancellationToken);
        }

        int exactQueries = Math.Min(settings.Queries, 100);
        start = Stopwatch.GetTimestamp();
        for (int q = 0; q < exactQueries; q++)
        {
            index.SearchExact(queryVectors.AsSpan(q * d, d), K);
        }

        double indexScan = exactQueries / Seconds(start);
        start = Stopwatch.GetTimestamp();
        for (int q = 0; q < exactQueries; q++)
        {
            ExactSearch.Search(queryVectors.AsSpan(q * d, d), keys, vectors, K);
        }

        Console.WriteLine(Invariant($"exact scan: {indexScan:F1} queries/s over the index's stored vectors, {exactQueries / Seconds(start):F1} over managed arrays (one thread)"));

        cancellationToken.ThrowIfCancellationRequested();
        string directory = Directory.CreateTempSubdirectory("krsbert-bench-").FullName;
        try
        {
            string path = Path.Combine(directory, "index.hnsw");
            start = Stopwatch.GetTimestamp();
            IndexSnapshotFile.Write(index, path);
            double save = Seconds(start);
            long bytes = new FileInfo(path).Length;
            start = Stopwatch.GetTimestamp();
            using HnswIndex loaded = IndexSnapshotFile.Read(path).Index;
            double load = Seconds(start);
            bool same = Enumerable.Range(0, Math.Min(100, settings.Queries)).All(q =>
                index.Search(queryVectors.AsSpan(q * d, d), K).SequenceEqual(loaded.Search(queryVectors.AsSpan(q * d, d), K)));
            Console.WriteLine(Invariant($"snapshot: {bytes / 1048576.0:F1} MiB, {(double)bytes / settings.Count:F0} bytes/vector; save {save:F2} s (with fsync), load {load:F2} s (verified); loaded results {(same ? "identical" : "DIFFER")}"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Filtered recall@10 for filters that pass a seeded random subset of keys (so pass rate and vector position are
    /// unrelated), against brute force over the matching vectors, beside the unfiltered recall at the same ef. Also
    /// counts how each search ran (exact scan or filtered graph search) and any result shorter than k.
    /// </summary>
    private static void MeasureFiltered(HnswIndex index, Settings settings, ulong[] keys, float[] vectors, float[] queryVectors, Dictionary<int, double> unfilteredRecall, CancellationToken cancellationToken)
    {
        int d = index.Options.Dimensions;
        Console.WriteLine(Invariant($"filtered (full-scan threshold {index.Options.FullScanThresholdBytes} bytes; truth: brute force over the matching vectors)"));
        Console.WriteLine("pass rate  matching  ef_search  recall@10  unfiltered  queries/s  scans  graph  short");
        double[] rates = [0.5, 0.1, 0.01];
        for (int r = 0; r < rates.Length; r++)
        {
            var random = new Random(settings.Seed + 10 + r);
            bool[] passes = new bool[keys.Length];
            for (int i = 0; i < passes.Length; i++)
            {
                passes[i] = random.NextDouble() < rates[r];
            }

            // Keys are the rows, so a lookup by key is an array index.
            bool Filter(ulong key) => passes[(int)key];
            int matching = passes.Count(p => p);
            var truth = new VectorHit[settings.Queries][];
            Parallel.For(0, settings.Queries, new ParallelOptions { CancellationToken = cancellationToken }, q =>
                truth[q] = ExactSearch.Search(queryVectors.AsSpan(q * d, d), keys, vectors, K, filter: Filter));

            foreach (int ef in settings.EfValues)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long scans = index.ExactScans;
                long graph = index.FilteredGraphSearches;
                var found = new VectorHit[settings.Queries][];
                long start = Stopwatch.GetTimestamp();
                for (int q = 0; q < settings.Queries; q++)
                {
                    found[q] = index.Search(queryVectors.AsSpan(q * d, d), K, ef, Filter);
                }

                double elapsed = Seconds(start);
                double recall = 0;
                int shortResults = 0;
                for (int q = 0; q < settings.Queries; q++)
                {
                    recall += Recall(truth[q], found[q]);
                    shortResults += found[q].Length < Math.Min(K, matching) ? 1 : 0;
                }

                Console.WriteLine(Invariant($"{rates[r],9:P0}  {matching,8}  {ef,9}  {recall / settings.Queries,9:F4}  {unfilteredRecall[ef],10:F4}  {settings.Queries / elapsed,9:F0}  {index.ExactScans - scans,5}  {index.FilteredGraphSearches - graph,5}  {shortResults,5}"));
            }
        }
    }

    /// <summary>
    /// Little-endian: "KRSBVEC1", then int32 count, dimensions, queries, k, M, ef_construction, metric (0 cosine,
    /// 1 inner product, 2 L2), build threads, number of ef values, the ef values; then the vectors and the queries
    /// (float32, row-major; a vector's key is its row), then the exact top-k keys per query (int64).
    /// </summary>
    private static void Export(string path, Settings settings, HnswOptions options, float[] vectors, float[] queries, VectorHit[][] truth)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new BinaryWriter(stream, Encoding.ASCII);
        writer.Write("KRSBVEC1"u8);
        int buildThreads = settings.Threads > 0 ? settings.Threads : Environment.ProcessorCount;
        foreach (int value in new[] { settings.Count, options.Dimensions, settings.Queries, K, options.M, options.EfConstruction, (int)options.Metric, buildThreads, settings.EfValues.Length })
        {
            writer.Write(value);
        }

        foreach (int ef in settings.EfValues)
        {
            writer.Write(ef);
        }

        WriteFloats(writer, vectors);
        WriteFloats(writer, queries);

        foreach (VectorHit[] hits in truth)
        {
            foreach (VectorHit hit in hits)
            {
                writer.Write((long)hit.Key);
            }
        }
    }

    private static void WriteFloats(BinaryWriter writer, float[] values)
    {
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }

        foreach (float value in values)
        {
            writer.Write(value);
        }
    }

    private static double Recall(VectorHit[] truth, VectorHit[] found)
    {
        int hits = 0;
        foreach (VectorHit expected in truth)
        {
            foreach (VectorHit hit in found)
            {
                if (hit.Key == expected.Key)
                {
                    hits++;
                    break;
                }
            }
        }

        return (double)hits / truth.Length;
    }

    private static int[] ParseEfValues(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];

    /// <summary>
    /// The process's resident set after a full collection, as the hnswlib script measures its own: the growth over a
    /// build counts what the index really touched, not the address space it reserved.
    /// </summary>
    private static long ResidentBytes()
    {
        // Aggressive: the collector also hands its free pages back, so they are not counted as the index's.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static TimeSpan ProcessorTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static double Seconds(long start) => Stopwatch.GetElapsedTime(start).TotalSeconds;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The model name and SIMD flags from /proc/cpuinfo, as <c>bench embed</c> prints them.</summary>
    private static string CpuDescription()
    {
        try
        {
            string[] lines = File.ReadAllLines("/proc/cpuinfo");
            string name = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
            string[] flags = lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1].Split(' ') ?? [];
            return $"{name} [{string.Join(' ', s_simdFlags.Where(flags.Contains))}]";
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private sealed record Settings(int Count, int Queries, int Clusters, float Spread, int Seed, int Threads, int[] EfValues, string? Export, int Repeat, bool SkipFiltered);
}
