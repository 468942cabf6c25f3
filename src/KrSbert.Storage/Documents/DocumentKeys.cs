namespace KrSbert.Storage.Documents;

/// <summary>How document keys and chunk indexes combine into the 64-bit keys vector indexes use.</summary>
public static class DocumentKeys
{
    /// <summary>Chunks a document may have.</summary>
    public const int MaxChunks = 1 << ChunkBits;

    private const int ChunkBits = 16;

    /// <summary>The vector key of chunk <paramref name="chunk"/> of document <paramref name="documentKey"/>.</summary>
    public static ulong ChunkKey(long documentKey, int chunk) => ((ulong)documentKey << ChunkBits) | (uint)chunk;

    /// <summary>The document a vector key belongs to.</summary>
    public static long DocumentKey(ulong chunkKey) => (long)(chunkKey >> ChunkBits);

    /// <summary>The chunk index inside its document.</summary>
    public static int ChunkIndex(ulong chunkKey) => (int)(chunkKey & (MaxChunks - 1));
}
