using KrSbert.Embedding.Inference;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Inference;

public sealed class OptimizedGraphCacheTests : IDisposable
{
    private static readonly string[] s_texts = ["안전모를 가진 한 남자가 춤을 추고 있다.", "어린아이가 말을 타고 있다.", "A man is playing a flute.", "짧다"];

    private readonly string _cache = Path.Combine(Path.GetTempPath(), "krsbert-graph-cache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void The_first_load_creates_the_cached_graph_and_the_second_reuses_it_with_equal_vectors()
    {
        using var model = new TinyModelCopy();
        float[][] uncached = Vectors(model.Path, cache: null, out _);

        float[][] first = Vectors(model.Path, _cache, out GraphCacheUse? created);
        float[][] second = Vectors(model.Path, _cache, out GraphCacheUse? reused);

        Assert.Equal(GraphCacheOutcome.Created, created!.Outcome);
        Assert.Equal(GraphCacheOutcome.Reused, reused!.Outcome);
        Assert.Equal(created.Path, reused.Path);
        Assert.True(File.Exists(created.Path));
        Assert.StartsWith(Path.GetFullPath(_cache), created.Path, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(model.ModelFile))), created.ModelSha256);
        AssertEqual(uncached, first);
        AssertEqual(uncached, second);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_changed_model_file_gets_a_new_cached_graph_and_the_old_one_is_removed()
    {
        using var model = new TinyModelCopy();
        _ = Vectors(model.Path, _cache, out GraphCacheUse? before);
        // ModelProto.doc_string (field 6) appended: a valid model with other bytes, so another SHA-256.
        byte[] docString = [(6 << 3) | 2, 7, .. "changed"u8];
        using (var stream = new FileStream(model.ModelFile, FileMode.Append))
        {
            stream.Write(docString);
        }

        float[][] uncached = Vectors(model.Path, cache: null, out _);
        float[][] after = Vectors(model.Path, _cache, out GraphCacheUse? rebuilt);

        Assert.Equal(GraphCacheOutcome.Created, rebuilt!.Outcome);
        Assert.NotEqual(before!.Path, rebuilt.Path);
        Assert.NotEqual(before.ModelSha256, rebuilt.ModelSha256);
        Assert.False(File.Exists(before.Path), "the graph of the old model bytes is still cached");
        AssertEqual(uncached, after);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_model_replaced_by_other_bytes_of_the_same_size_and_modification_time_gets_its_own_graph()
    {
        using var model = new TinyModelCopy();
        _ = Vectors(model.Path, _cache, out GraphCacheUse? before);
        byte[] bytes = File.ReadAllBytes(model.ModelFile);
        DateTime modified = File.GetLastWriteTimeUtc(model.ModelFile);
        // The producer name "pytorch" as "pytorcH": a valid model of the same size with another SHA-256, written as
        // a new file that keeps the old modification time, as `cp -p`, tar or an image layer would.
        int producer = bytes.AsSpan().IndexOf("pytorch"u8);
        Assert.True(producer >= 0, "the tiny model names its producer");
        bytes[producer + 6] = (byte)'H';
        File.Delete(model.ModelFile);
        Thread.Sleep(20);
        File.WriteAllBytes(model.ModelFile, bytes);
        File.SetLastWriteTimeUtc(model.ModelFile, modified);

        _ = Vectors(model.Path, _cache, out GraphCacheUse? after);

        Assert.NotEqual(before!.ModelSha256, after!.ModelSha256);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), after.ModelSha256);
        Assert.NotEqual(before.Path, after.Path);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_cached_graph_without_its_manifest_was_not_completely_written_and_is_rebuilt()
    {
        using var model = new TinyModelCopy();
        float[][] uncached = Vectors(model.Path, cache: null, out _);
        _ = Vectors(model.Path, _cache, out GraphCacheUse? created);
        string manifest = Path.Combine(Path.GetDirectoryName(created!.Path)!, "entry.manifest");
        Assert.True(File.Exists(manifest), "an entry is published with a manifest of its files");
        File.Delete(manifest);

        float[][] after = Vectors(model.Path, _cache, out GraphCacheUse? rebuilt);

        Assert.Equal(GraphCacheOutcome.Rebuilt, rebuilt!.Outcome);
        AssertEqual(uncached, after);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_corrupt_cached_graph_is_discarded_and_rebuilt()
    {
        using var model = new TinyModelCopy();
        float[][] uncached = Vectors(model.Path, cache: null, out _);
        _ = Vectors(model.Path, _cache, out GraphCacheUse? created);
        File.WriteAllBytes(created!.Path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))]);

        float[][] after = Vectors(model.Path, _cache, out GraphCacheUse? rebuilt);
        float[][] again = Vectors(model.Path, _cache, out GraphCacheUse? reused);

        Assert.Equal(GraphCacheOutcome.Rebuilt, rebuilt!.Outcome);
        Assert.Equal(GraphCacheOutcome.Reused, reused!.Outcome);
        AssertEqual(uncached, after);
        AssertEqual(uncached, again);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void Truncated_cached_weights_are_discarded_and_rebuilt()
    {
        using var model = new TinyModelCopy();
        float[][] uncached = Vectors(model.Path, cache: null, out _);
        _ = Vectors(model.Path, _cache, out GraphCacheUse? created);
        string weights = created!.Path + ".data";
        Assert.True(File.Exists(weights), "the weights are written beside the graph");
        using (var stream = new FileStream(weights, FileMode.Open))
        {
            stream.SetLength(stream.Length / 2);
        }

        float[][] after = Vectors(model.Path, _cache, out GraphCacheUse? rebuilt);

        Assert.Equal(GraphCacheOutcome.Rebuilt, rebuilt!.Outcome);
        AssertEqual(uncached, after);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_half_written_graph_of_a_killed_start_is_never_loaded()
    {
        using var model = new TinyModelCopy();
        _ = Vectors(model.Path, _cache, out GraphCacheUse? created);
        string entry = Path.GetDirectoryName(created!.Path)!;
        // What a start killed mid-write leaves: a temporary folder beside the entry, never the entry itself.
        string leftover = entry + ".999.0123456789abcdef.tmp";
        Directory.CreateDirectory(leftover);
        File.WriteAllBytes(Path.Combine(leftover, "model.onnx"), [1, 2, 3]);
        Directory.Delete(entry, recursive: true);

        float[][] uncached = Vectors(model.Path, cache: null, out _);
        float[][] after = Vectors(model.Path, _cache, out GraphCacheUse? rebuilt);

        Assert.Equal(GraphCacheOutcome.Created, rebuilt!.Outcome);
        Assert.Equal(created.Path, rebuilt.Path);
        AssertEqual(uncached, after);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_cache_folder_that_cannot_be_created_leaves_the_model_working_uncached()
    {
        using var model = new TinyModelCopy();
        // A path under a regular file cannot become a folder, even for root.
        string blocked = Path.Combine(model.ModelFile, "cache");
        float[][] uncached = Vectors(model.Path, cache: null, out _);

        float[][] vectors = Vectors(model.Path, blocked, out GraphCacheUse? use);

        Assert.Equal(GraphCacheOutcome.Unavailable, use!.Outcome);
        Assert.NotNull(use.Problem);
        AssertEqual(uncached, vectors);
    }

    [Fact]
    public void The_embedded_model_is_cached_too()
    {
        using (var first = SentenceEmbedder.LoadDefault(Options(_cache)))
        {
            Assert.Equal(GraphCacheOutcome.Created, first.GraphCache!.Outcome);
        }

        using var second = SentenceEmbedder.LoadDefault(Options(_cache));
        Assert.Equal(GraphCacheOutcome.Reused, second.GraphCache!.Outcome);
        float[] cached = second.Embed(["A man is playing a flute."])[0].Vector;
        float[] plain = Embedders.MiniLm.Embed(["A man is playing a flute."])[0].Vector;
        Assert.Equal(plain, cached);
    }

    [Fact]
    public void The_key_holds_the_runtime_version_and_the_cpu_features()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+", OptimizedGraphCache.OrtVersion);
        Assert.StartsWith(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(), OptimizedGraphCache.CpuFeatures, StringComparison.Ordinal);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && OperatingSystem.IsLinux())
        {
            Assert.Contains(" avx2", OptimizedGraphCache.CpuFeatures, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Another_runtime_version_or_cpu_gives_another_entry_and_the_same_ones_the_same()
    {
        string model = new('a', 64);
        string key = OptimizedGraphCache.Key(model, "1.31.1", "X64 avx2 avx512f avx512_vnni");

        Assert.Equal(key, OptimizedGraphCache.Key(model, "1.31.1", "X64 avx2 avx512f avx512_vnni"));
        Assert.NotEqual(key, OptimizedGraphCache.Key(new string('b', 64), "1.31.1", "X64 avx2 avx512f avx512_vnni"));
        Assert.NotEqual(key, OptimizedGraphCache.Key(model, "1.32.0", "X64 avx2 avx512f avx512_vnni"));
        Assert.NotEqual(key, OptimizedGraphCache.Key(model, "1.31.1", "X64 avx2 avx512f"));
    }

    private static EmbedderOptions Options(string? cache) => new()
    {
        BatchSize = 4,
        OnnxRuntime = new OnnxRuntimeOptions { GraphCacheDirectory = cache },
    };

    private static float[][] Vectors(string folder, string? cache, out GraphCacheUse? use)
    {
        using var embedder = SentenceEmbedder.LoadFolder(folder, Options(cache));
        use = embedder.GraphCache;
        return [.. embedder.Embed(s_texts).Select(v => v.Vector)];
    }

    private static void AssertEqual(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }
}
