namespace KrSbert.Index.Tests.TestSupport;

/// <summary>One 20,000 x 64 index built once (in parallel, as the application builds) for the tests that read it.</summary>
public sealed class ClusteredIndexFixture : IDisposable
{
    public ClusteredIndexFixture()
    {
        Data = new ClusteredData(count: 20_000, dimensions: 64, queries: 100);
        Index = Data.BuildIndex();
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
