namespace KrSbert.Search.Querying;

/// <summary>A document a query found, before hydration: its best chunk, its score in the query's mode, and each leg's standing.</summary>
internal sealed record Found(long Document, ulong ChunkKey, float Score, LegScore? Dense, LegScore? Lexical);
