namespace KrSbert.Search.Chunking;

/// <summary>A token window of a document: its model input ids and the characters it covers.</summary>
public sealed record TextChunk(int[] InputIds, int Start, int End);
