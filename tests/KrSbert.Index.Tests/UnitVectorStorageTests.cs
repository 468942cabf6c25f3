using System.IO.Hashing;
using KrSbert.Index.Native;
using KrSbert.Index.Tests.TestSupport;

namespace KrSbert.Index.Tests;

/// <summary>Cosine indexes store unit vectors (issue 12), and snapshots from before, which do not, still load and score right.</summary>
public class UnitVectorStorageTests
{
    private const int FlagsOffset = 22;

    private static readonly HnswOptions s_options = new() { Dimensions = 32, M = 12, EfConstruction = 100, EfSearch = 64 };

    private static byte[] Snapshot(HnswIndex index)
    {
        using var stream = new MemoryStream();
        index.Save(stream);
        return stream.ToArray();
    }

    private static HnswIndex Load(byte[] bytes) => HnswIndex.Load(new MemoryStream(bytes, writable: false));

    /// <summary>The clustered vectors, each scaled by its own factor between 0.1 and 10, so that no norm is 1.</summary>
    private static (ClusteredData Data, float[] Scaled) ScaledData()
    {
        var data = new ClusteredData(count: 2_000, dimensions: 32, queries: 20, seed: 21);
        float[] scaled = (float[])data.Vectors.Clone();
        var random = new Random(3);
        for (int row = 0; row < data.Keys.Length; row++)
        {
            float factor = 0.1f + (9.9f * random.NextSingle());
            for (int i = 0; i < data.Dimensions; i++)
            {
                scaled[(row * data.Dimensions) + i] *= factor;
            }
        }

        return (data, scaled);
    }

    [Fact]
    public void A_cosine_index_stores_unit_vectors_and_scores_the_cosine_of_the_vectors_given()
    {
        using var index = HnswIndex.Create(new HnswOptions { Dimensions = 4 });
        index.Add(1, [3, 4, 0, 0]);
        index.AddBatch([2], [0, 0, 5, 0]);

        var stored = new float[4];
        Assert.True(index.TryGetVector(1, stored));
        Assert.Equal([0.6f, 0.8f, 0f, 0f], stored, (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.True(index.TryGetVector(2, stored));
        Assert.Equal([0f, 0f, 1f, 0f], stored, (a, b) => Math.Abs(a - b) < 1e-6f);

        VectorHit[] hits = index.Search([10, 0, 0, 0], 2);
        Assert.Equal(1UL, hits[0].Key);
        Assert.Equal(0.6f, hits[0].Score, 1e-6f);
        Assert.Equal(0f, hits[1].Score, 1e-6f);
        Assert.Equal(1f, index.Search([0, 0, 0.001f, 0], 1)[0].Score, 1e-6f);
    }

    [Fact]
    public void Unit_vector_search_finds_what_brute_force_over_the_vectors_given_finds()
    {
        (ClusteredData data, float[] scaled) = ScaledData();
        using var index = HnswIndex.Create(s_options);
        index.AddBatch(data.Keys, scaled);

        double recall = 0;
        for (int q = 0; q < data.QueryCount; q++)
        {
            VectorHit[] truth = ExactSearch.Search(data.Query(q), data.Keys, scaled, 10);
            VectorHit[] found = index.Search(data.Query(q), 10, 128);
            recall += HitAssert.Recall(truth, found);
            HitAssert.SameTopK(truth, index.SearchExact(data.Query(q), 10));
            Assert.Equal(truth[0].Score, found[0].Score, 1e-5f);
        }

        Assert.True(recall / data.QueryCount >= 0.99, $"recall@10 {recall / data.QueryCount:F3}");
    }

    [Fact]
    public void A_snapshot_from_before_unit_vectors_loads_with_its_vectors_as_stored_and_cosine_scores()
    {
        (ClusteredData data, float[] scaled) = ScaledData();
        using HnswIndex legacy = HnswIndex.Create(s_options, unitVectors: false);
        legacy.AddBatch(data.Keys, scaled);
        byte[] bytes = Snapshot(legacy);
        Assert.Equal(0, bytes[FlagsOffset]);

        using HnswIndex loaded = Load(bytes);

        Assert.False(loaded.UnitVectors);
        Assert.Contains("NumKong", loaded.Engine, StringComparison.Ordinal);
        var stored = new float[data.Dimensions];
        Assert.True(loaded.TryGetVector(data.Keys[5], stored));
        Assert.Equal(scaled.AsSpan(5 * data.Dimensions, data.Dimensions).ToArray(), stored);
        for (int q = 0; q < data.QueryCount; q++)
        {
            VectorHit[] truth = ExactSearch.Search(data.Query(q), data.Keys, scaled, 10);
            Assert.Equal(legacy.Search(data.Query(q), 10), loaded.Search(data.Query(q), 10));
            Assert.Equal(truth[0].Key, loaded.Search(data.Query(q), 10, 128)[0].Key);
            Assert.Equal(truth[0].Score, loaded.Search(data.Query(q), 1, 128)[0].Score, 1e-5f);
        }

        // It keeps storing vectors as given, so the ones added after loading compare like the ones before.
        loaded.Add(99_999, scaled.AsSpan(0, data.Dimensions));
        Assert.True(loaded.TryGetVector(99_999, stored));
        Assert.Equal(scaled.AsSpan(0, data.Dimensions).ToArray(), stored);
        Assert.Equal(0, Snapshot(loaded)[FlagsOffset]);
    }

    [Fact]
    public void A_cosine_snapshot_records_unit_vectors_and_loads_with_the_managed_kernel()
    {
        (ClusteredData data, float[] scaled) = ScaledData();
        using var index = HnswIndex.Create(s_options);
        index.AddBatch(data.Keys, scaled);
        byte[] bytes = Snapshot(index);

        using HnswIndex loaded = Load(bytes);

        Assert.Equal(1, bytes[FlagsOffset]);
        Assert.True(loaded.UnitVectors);
        Assert.Contains("managed f32", loaded.Engine, StringComparison.Ordinal);
        for (int q = 0; q < data.QueryCount; q++)
        {
            Assert.Equal(index.Search(data.Query(q), 10), loaded.Search(data.Query(q), 10));
        }
    }

    [Fact]
    public void Flag_bits_this_build_does_not_know_are_refused()
    {
        using var index = HnswIndex.Create(new HnswOptions { Dimensions = 4 });
        index.Add(1, [1, 2, 3, 4]);
        byte[] bytes = Snapshot(index);
        bytes[FlagsOffset] |= 0x02;
        XxHash64.Hash(bytes.AsSpan(0, 88), bytes.AsSpan(88, 8));

        Assert.Contains("flags", Assert.Throws<IndexSnapshotCorruptException>(() => Load(bytes)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_unit_vector_flag_on_a_metric_other_than_cosine_is_refused()
    {
        using var index = HnswIndex.Create(new HnswOptions { Dimensions = 4, Metric = VectorMetric.L2 });
        index.Add(1, [1, 2, 3, 4]);
        byte[] bytes = Snapshot(index);
        Assert.Equal(0, bytes[FlagsOffset]);
        bytes[FlagsOffset] = 1;
        XxHash64.Hash(bytes.AsSpan(0, 88), bytes.AsSpan(88, 8));

        Assert.Contains("only cosine", Assert.Throws<IndexSnapshotCorruptException>(() => Load(bytes)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(VectorMetric.Cosine, VectorStorage.F32, "managed f32")]
    [InlineData(VectorMetric.InnerProduct, VectorStorage.F32, "managed f32")]
    [InlineData(VectorMetric.L2, VectorStorage.F32, "managed f32")]
    [InlineData(VectorMetric.Cosine, VectorStorage.F16, "NumKong")]
    [InlineData(VectorMetric.Cosine, VectorStorage.I8, "NumKong")]
    public void The_engine_names_the_kernels_that_compute_distances(VectorMetric metric, VectorStorage storage, string expected)
    {
        using var index = HnswIndex.Create(new HnswOptions { Dimensions = 8, Metric = metric, Storage = storage });

        Assert.Contains(expected, index.Engine, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.InnerProduct)]
    [InlineData(VectorMetric.L2)]
    public void A_key_scores_the_same_through_the_graph_and_through_an_exact_scan(VectorMetric metric)
    {
        (ClusteredData data, float[] scaled) = ScaledData();
        using var index = HnswIndex.Create(s_options with { Metric = metric });
        index.AddBatch(data.Keys, scaled);

        for (int q = 0; q < data.QueryCount; q++)
        {
            VectorHit[] graph = index.Search(data.Query(q), 10, 256);
            Dictionary<ulong, float> exact = index.SearchExact(data.Query(q), 50).ToDictionary(h => h.Key, h => h.Score);
            Assert.All(graph, hit => Assert.Equal(exact[hit.Key], hit.Score));
        }
    }

    [Fact]
    public unsafe void The_managed_kernels_match_double_precision_arithmetic_at_every_tail_length()
    {
        var random = new Random(7);
        for (int n = 1; n <= 150; n++)
        {
            float[] a = [.. Enumerable.Range(0, n).Select(_ => (random.NextSingle() * 2) - 1)];
            float[] b = [.. Enumerable.Range(0, n).Select(_ => (random.NextSingle() * 2) - 1)];
            double dot = 0;
            double squared = 0;
            for (int i = 0; i < n; i++)
            {
                dot += (double)a[i] * b[i];
                squared += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
            }

            fixed (float* pa = a)
            fixed (float* pb = b)
            {
                Assert.Equal(dot, DistanceKernels.Dot(pa, pb, n), 1e-4);
                Assert.Equal(squared, DistanceKernels.SquaredDistance(pa, pb, n), 1e-4);
            }
        }
    }
}
