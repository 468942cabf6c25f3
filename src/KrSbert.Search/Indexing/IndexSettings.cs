using System.Globalization;
using KrSbert.Index;
using KrSbert.Storage.Collections;

namespace KrSbert.Search.Indexing;

/// <summary>Names the store keeps for index settings, and their mapping to the index library's types.</summary>
internal static class IndexSettings
{
    public static string Name(VectorMetric metric) => metric switch
    {
        VectorMetric.Cosine => "cosine",
        VectorMetric.InnerProduct => "inner_product",
        VectorMetric.L2 => "l2",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric."),
    };

    public static VectorMetric Metric(string name) => name switch
    {
        "cosine" => VectorMetric.Cosine,
        "inner_product" => VectorMetric.InnerProduct,
        "l2" => VectorMetric.L2,
        _ => throw new InvalidDataException($"Unknown metric '{name}' in the store."),
    };

    public static string Name(VectorStorage storage) => storage.ToString().ToLower(CultureInfo.InvariantCulture);

    public static VectorStorage Storage(string name) => Enum.Parse<VectorStorage>(name, ignoreCase: true);

    public static HnswOptions Options(CollectionSettings settings) => new()
    {
        Dimensions = settings.Dimension,
        Metric = Metric(settings.Metric),
        M = settings.M,
        EfConstruction = settings.EfConstruction,
        EfSearch = settings.EfSearch,
        Storage = Storage(settings.IndexStorage),
    };
}
