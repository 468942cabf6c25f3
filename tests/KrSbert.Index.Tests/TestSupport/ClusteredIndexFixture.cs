namespace KrSbert.Index.Tests.TestSupport;

/// <summary>
/// One 20,000 x 64 index built once (in parallel, as the application builds) for the tests that read it. Its
/// 5 MB of vectors fit the default full-scan threshold, which would turn every filtered search into a scan; the
/// threshold is off here so that filtered searches choose by their cost estimate and broad filters reach the graph.
/// </summary>
public sealed class ClusteredIndexFixture : IDisposable
{
    public ClusteredIndexFixture()
    {
        Data = new ClusteredData(count: 20_000, dimensions: 64, queries: 100);
        Index = Data.BuildIndex(new HnswOptions { Dimensions = Data.Dimensions, FullScanThresholdBytes = 0 });
    }

    public ClusteredData Data { get; }

    public HnswIndex Index { get; }

    public void Dispose() => Index.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ClusteredIndexGroup : ICollectionFixture<ClusteredIndexFixture>
{
    public const string Name = "clustered index";
}
