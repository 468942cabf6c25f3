namespace KrSbert.Storage.Documents;

/// <summary>A window of a document: where it lies in the text, its WordPiece ids and its vector.</summary>
/// <param name="Start">First character (UTF-16 index) of the chunk in the document's text.</param>
/// <param name="End">End (exclusive) of the chunk in the text.</param>
/// <param name="TokenIds">The chunk's token ids as the model read them (kept for lexical search and re-embedding checks).</param>
/// <param name="Vector">The chunk's embedding.</param>
public sealed record StoredChunk(int Start, int End, int[] TokenIds, float[] Vector);
