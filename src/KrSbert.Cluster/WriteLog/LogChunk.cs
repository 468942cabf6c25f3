namespace KrSbert.Cluster.WriteLog;

/// <summary>
/// One embedded chunk of a logged document: where it lies in the text, the token ids the router embedded and the
/// vector it got. Replicas index the vector as it is; they never embed again.
/// </summary>
/// <param name="Start">The chunk's first character in the text.</param>
/// <param name="End">The character after the chunk's last one.</param>
/// <param name="TokenIds">The token ids the embedding saw (empty for a vector the caller gave).</param>
/// <param name="Vector">The chunk's vector.</param>
public sealed record LogChunk(int Start, int End, int[] TokenIds, float[] Vector);
