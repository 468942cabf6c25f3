using KrSbert.Cli.Bench;
namespace KrSbert.Index.Tests.TestSupport;

/// <summary>Seeded clustered vectors with their keys, and brute-force answers to compare an index with.</summary>
public sealed class ClusteredData
{
    public ClusteredData(int count, int dimensions, int queries, int seed = 1, int clusters = 200, float spread = 1.2f)
    {
        var source = new SyntheticClusters(dimensions, clusters, spread, seed);
        Dimensions = dimensions;
        Vectors = source.Sample(count, seed + 1);
        Queries = source.Sample(queries, seed + 2);
        // Spread-out keys, so that nothing depends on keys being small or dense.
        Keys = Enumerable.Range(0, count).Select(i => ((ulong)i * 7919) + 1_000_000_007UL).ToArray();
    }

    public int Dimensions { get; }

    public float[] Vectors { get; }

    public float[] Queries { get; }

    public ulong[] Keys { get; }

    public int QueryCount => Queries.Length / Dimensions;

    public ReadOnlySpan<float> Query(int i) => Queries.AsSpan(i * Dimensions, Dimensions);

    public ReadOnlySpan<float> Vector(int i) => Vectors.AsSpan(i * Dimensions, Dimensions);

    public VectorHit[] Exact(int query, int k, Func<ulong, bool>? filter = null, VectorMetric metric = VectorMetric.Cosine) =>
        ExactSearch.Search(Query(query), Keys, Vectors, k, metric, filter);

    public HnswIndex BuildIndex(HnswOptions? options = null, int parallelism = 0)
    {
        var index = HnswIndex.Create(options ?? new HnswOptions { Dimensions = Dimensions });
        index.AddBatch(Keys, Vectors, parallelism);
        return index;
    }
}
