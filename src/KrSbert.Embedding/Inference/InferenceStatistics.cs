using System.Diagnostics;

namespace KrSbert.Embedding.Inference;

/// <summary>Cumulative counters of the time spent inside ONNX Runtime's <c>Run</c>, for throughput reports.</summary>
public sealed class InferenceStatistics
{
    private long _runTicks;
    private long _runs;
    private long _sequences;
    private long _paddedTokens;
    private long _realTokens;
    private long _attentionPositions;

    /// <summary>Sum over batches of batch × sequence², the size of the attention score matrices.</summary>
    public long AttentionPositions => Interlocked.Read(ref _attentionPositions);

    /// <summary>Total time inside <c>Run</c>.</summary>
    public TimeSpan RunTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _runTicks));

    /// <summary>Number of <c>Run</c> calls (batches).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Texts embedded.</summary>
    public long Sequences => Interlocked.Read(ref _sequences);

    /// <summary>Token positions fed to the model, padding included.</summary>
    public long PaddedTokens => Interlocked.Read(ref _paddedTokens);

    /// <summary>Token positions that were real tokens.</summary>
    public long RealTokens => Interlocked.Read(ref _realTokens);

    internal void Record(long ticks, int batch, int sequenceLength, int realTokens)
    {
        Interlocked.Add(ref _runTicks, ticks);
        Interlocked.Increment(ref _runs);
        Interlocked.Add(ref _sequences, batch);
        Interlocked.Add(ref _paddedTokens, (long)batch * sequenceLength);
        Interlocked.Add(ref _realTokens, realTokens);
        Interlocked.Add(ref _attentionPositions, (long)batch * sequenceLength * sequenceLength);
    }

    /// <summary>Sets every counter to zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _runTicks, 0);
        Interlocked.Exchange(ref _runs, 0);
        Interlocked.Exchange(ref _sequences, 0);
        Interlocked.Exchange(ref _paddedTokens, 0);
        Interlocked.Exchange(ref _realTokens, 0);
        Interlocked.Exchange(ref _attentionPositions, 0);
    }
}
