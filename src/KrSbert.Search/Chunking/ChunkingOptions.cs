namespace KrSbert.Search.Chunking;

/// <summary>How long documents split into overlapping token windows.</summary>
/// <param name="WindowTokens">Ids per chunk, <c>[CLS]</c> and <c>[SEP]</c> included; at most the model's max_seq_length.</param>
/// <param name="OverlapTokens">Content tokens shared by consecutive chunks; less than the window's content.</param>
public sealed record ChunkingOptions(int WindowTokens, int OverlapTokens)
{
    /// <summary>Checks the options against the model's window.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate(int modelMaxSequenceLength)
    {
        if (WindowTokens < 3 || WindowTokens > modelMaxSequenceLength)
        {
            throw new ArgumentOutOfRangeException(nameof(modelMaxSequenceLength), WindowTokens, $"chunk_tokens is {WindowTokens}; the chunk window must be between 3 and the model's max_seq_length {modelMaxSequenceLength}.");
        }

        if (OverlapTokens < 0 || OverlapTokens >= WindowTokens - 2)
        {
            throw new ArgumentOutOfRangeException(nameof(modelMaxSequenceLength), OverlapTokens, $"chunk_overlap is {OverlapTokens}; the overlap must be between 0 and {WindowTokens - 3} (less than the window's content of {WindowTokens - 2} tokens).");
        }
    }
}
