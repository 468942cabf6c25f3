namespace KrSbert.Search.Querying;

/// <summary>
/// A document a query found, before hydration: its key and id (the id breaks ties in score, so results are the same
/// on one node and across shards), its best chunk, its score in the query's mode, and each leg's standing.
/// </summary>
internal sealed record Found(long Document, string Id, ulong ChunkKey, float Score, LegScore? Dense, LegScore? Lexical);
