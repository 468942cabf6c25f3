namespace KrSbert.Search.Documents;

/// <summary>What a streamed ingest did: documents read, stored, refused (by their position in the stream), and the sequence reached.</summary>
public sealed record IngestResult(long Received, long Stored, IReadOnlyList<DocumentFailure> Failures, long Sequence);
