namespace KrSbert.Server.Options;

/// <summary>The server's settings: section <c>KrSbert</c> of appsettings, environment (<c>KrSbert__DataDirectory</c>) or flags.</summary>
public sealed class ServerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "KrSbert";

    /// <summary>The data folder (created if missing).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// A model folder (sentence-transformers layout plus model.onnx). Unset: <c>./models/kr-sbert</c> when present,
    /// else the embedded English-only all-MiniLM-L6-v2.
    /// </summary>
    public string? ModelDirectory { get; set; }

    /// <summary>gRPC address as host:port (HTTP/2). Ignored when <c>Kestrel:Endpoints</c> is configured (TLS).</summary>
    public string Listen { get; set; } = "127.0.0.1:50051";

    /// <summary>Prometheus metrics address as host:port (HTTP/1.1, path /metrics); empty turns metrics off.</summary>
    public string? MetricsListen { get; set; } = "127.0.0.1:9464";

    /// <summary>When set, every call but the health service needs metadata <c>x-api-key</c> with this value.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// When a write is acknowledged: <c>fsync</c> (default) after its commit is on disk, so it survives a power cut;
    /// <c>os</c> once the operating system has it, which survives a crash of the server but not of the machine.
    /// </summary>
    public string Durability { get; set; } = "fsync";

    /// <summary>Request limits.</summary>
    public LimitOptions Limits { get; set; } = new();

    /// <summary>Save an index snapshot after this many changes to a collection.</summary>
    public int SnapshotEveryChanges { get; set; } = 10_000;

    /// <summary>
    /// Which graph of the model folder runs: <c>fp32</c> (model.onnx, default) or <c>int8</c> (model.int8.onnx).
    /// Collections record it and refuse text from a server running the other one.
    /// </summary>
    public string ModelPrecision { get; set; } = "fp32";

    /// <summary>
    /// Folder for ONNX Runtime's optimised graphs, so a restart skips the optimiser; unset: <c>model-cache</c> under
    /// the data folder; <c>off</c> turns it off. Model folders may be read-only, so it is never put beside the model.
    /// </summary>
    public string? ModelCache { get; set; }

    /// <summary>Most texts per shared embedding batch.</summary>
    public int EmbeddingBatchSize { get; set; } = 32;

    /// <summary>Longest a query text waits for others to share its batch, in milliseconds.</summary>
    public double EmbeddingBatchWaitMilliseconds { get; set; } = 2;
}

/// <summary>Limits that protect the server; breaking one is RESOURCE_EXHAUSTED.</summary>
public sealed class LimitOptions
{
    // The engine's own defaults, so the two cannot drift apart.
    private static readonly Search.Documents.DocumentLimits DocumentDefaults = new();

    /// <summary>Largest request message in bytes.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most documents (or ids) in one request.</summary>
    public int MaxDocumentsPerRequest { get; set; } = 1_000;

    /// <summary>Longest text in characters.</summary>
    public int MaxTextLength { get; set; } = DocumentDefaults.MaxTextLength;

    /// <summary>Largest top_k.</summary>
    public int MaxTopK { get; set; } = 10_000;

    /// <summary>Calls served at once; more are refused rather than queued without bound.</summary>
    public int MaxConcurrentRequests { get; set; } = 256;

    /// <summary>Most queries in one QueryBatch or texts in one Embed call.</summary>
    public int MaxBatchItems { get; set; } = 256;

    /// <summary>Most metadata keys per document.</summary>
    public int MaxMetadataKeys { get; set; } = DocumentDefaults.MaxMetadataKeys;

    /// <summary>Longest metadata key in characters.</summary>
    public int MaxMetadataKeyLength { get; set; } = DocumentDefaults.MaxMetadataKeyLength;

    /// <summary>Longest metadata value in characters.</summary>
    public int MaxMetadataValueLength { get; set; } = DocumentDefaults.MaxMetadataValueLength;

    /// <summary>Most UTF-8 bytes of metadata keys and values together per document.</summary>
    public int MaxMetadataBytes { get; set; } = DocumentDefaults.MaxMetadataBytes;
}
