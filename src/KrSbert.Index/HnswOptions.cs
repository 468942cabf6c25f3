namespace KrSbert.Index;

/// <summary>
/// The shape and tuning of an <see cref="HnswIndex"/>. All of it but <see cref="FullScanThresholdBytes"/> is
/// written into snapshots; a loaded index comes back with the options it was saved with (and the default threshold).
/// </summary>
public sealed record HnswOptions
{
    /// <summary>The default <see cref="FullScanThresholdBytes"/>: 10 MiB, Qdrant's default full-scan threshold.</summary>
    public const long DefaultFullScanThresholdBytes = 10 * 1024 * 1024;

    /// <summary>The largest accepted <see cref="Dimensions"/>.</summary>
    public const int MaxDimensions = 65536;

    /// <summary>The largest accepted <see cref="EfConstruction"/>, <see cref="EfSearch"/> and search <c>k</c>.</summary>
    public const int MaxExpansion = 10000;

    /// <summary>Length of every vector added or searched; 768 for KR-SBERT.</summary>
    public required int Dimensions { get; init; }

    /// <summary>How vectors are compared; cosine unless said otherwise.</summary>
    public VectorMetric Metric { get; init; } = VectorMetric.Cosine;

    /// <summary>Graph connectivity: links per node on the upper layers (twice that on the base layer).</summary>
    public int M { get; init; } = 16;

    /// <summary>Candidate list length while inserting; larger builds a better graph, more slowly.</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>Default candidate list length while searching; a search may ask for another.</summary>
    public int EfSearch { get; init; } = 64;

    /// <summary>How each vector is stored.</summary>
    public VectorStorage Storage { get; init; } = VectorStorage.F32;

    /// <summary>
    /// A filtered search scans every matching vector exactly, rather than searching the graph, when the matching
    /// vectors (estimated from a sample of keys) take at most this many bytes as stored: count x
    /// <see cref="Dimensions"/> x bytes per scalar of <see cref="Storage"/>. Scanning a few megabytes costs a few
    /// graph searches at most, and the answer is exact. 0 leaves the choice to the cost estimate alone. A search-time
    /// setting: it is not written into snapshots.
    /// </summary>
    public long FullScanThresholdBytes { get; init; } = DefaultFullScanThresholdBytes;

    /// <summary>Bytes one stored scalar takes: 4 for <see cref="VectorStorage.F32"/>, 2 for F16, 1 for I8.</summary>
    internal int BytesPerScalar => Storage switch
    {
        VectorStorage.F16 => 2,
        VectorStorage.I8 => 1,
        _ => sizeof(float),
    };

    /// <summary>Throws when a field is out of range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range; <see cref="ArgumentException.ParamName"/> is its name.</exception>
    public void Validate()
    {
        Check(Dimensions, 1, MaxDimensions, nameof(Dimensions));
        Check(M, 2, 512, nameof(M));
        Check(EfConstruction, 1, MaxExpansion, nameof(EfConstruction));
        Check(EfSearch, 1, MaxExpansion, nameof(EfSearch));
        if (FullScanThresholdBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(FullScanThresholdBytes), FullScanThresholdBytes, $"{nameof(FullScanThresholdBytes)} must be 0 or more; it is {FullScanThresholdBytes}.");
        }

        if (!Enum.IsDefined(Metric))
        {
            throw new ArgumentOutOfRangeException(nameof(Metric), Metric, $"{nameof(Metric)} must be one of {string.Join(", ", Enum.GetNames<VectorMetric>())}.");
        }

        if (!Enum.IsDefined(Storage))
        {
            throw new ArgumentOutOfRangeException(nameof(Storage), Storage, $"{nameof(Storage)} must be one of {string.Join(", ", Enum.GetNames<VectorStorage>())}.");
        }

        // USearch normalises before quantising to i8, which keeps angles but not dot products or distances:
        // measured, inner product and L2 come back as meaningless numbers.
        if (Storage == VectorStorage.I8 && Metric != VectorMetric.Cosine)
        {
            throw new ArgumentOutOfRangeException(nameof(Storage), Storage, $"{nameof(Storage)} I8 works only with the cosine metric (it normalises vectors), not {Metric}.");
        }
    }

    private static void Check(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}; it is {value}.");
        }
    }
}
