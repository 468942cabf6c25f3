namespace KrSbert.Search.Documents;

/// <summary>Sizes a stored document may have; going over one is a limit error, not malformed input.</summary>
public sealed record DocumentLimits
{
    /// <summary>Longest document id in characters (the store's own limit).</summary>
    public int MaxIdLength { get; init; } = Storage.DocumentStore.MaxDocumentIdLength;

    /// <summary>Longest text in characters, embedded or stored beside a vector.</summary>
    public int MaxTextLength { get; init; } = 100_000;

    /// <summary>Most metadata keys per document.</summary>
    public int MaxMetadataKeys { get; init; } = 64;

    /// <summary>Longest metadata key in characters.</summary>
    public int MaxMetadataKeyLength { get; init; } = 128;

    /// <summary>Longest metadata value in characters.</summary>
    public int MaxMetadataValueLength { get; init; } = 4_096;

    /// <summary>Most UTF-8 bytes of metadata keys and values together per document.</summary>
    public int MaxMetadataBytes { get; init; } = 65_536;
}
