using System.Threading.Channels;

namespace KrSbert.Embedding;

/// <summary>
/// Gathers texts from concurrent callers into shared batches: a batch runs when it is full or when the
/// first text in it has waited <see cref="MaxWait"/>. One ONNX Runtime call for many short queries uses
/// the cores better than many calls of one text each.
/// </summary>
public sealed class EmbeddingBatcher : IAsyncDisposable
{
    private readonly SentenceEmbedder _embedder;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _batches;
    private long _texts;

    /// <summary>Starts batching for <paramref name="embedder"/>.</summary>
    public EmbeddingBatcher(SentenceEmbedder embedder, int maxBatch = 32, TimeSpan? maxWait = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _embedder = embedder;
        MaxBatch = maxBatch;
        MaxWait = maxWait ?? TimeSpan.FromMilliseconds(2);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Most texts in one batch.</summary>
    public int MaxBatch { get; }

    /// <summary>Longest a text waits for company.</summary>
    public TimeSpan MaxWait { get; }

    /// <summary>Batches run so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Texts embedded so far.</summary>
    public long Texts => Interlocked.Read(ref _texts);

    /// <summary>Raised after each batch with its size, for metrics.</summary>
    public event Action<int>? BatchCompleted;

    /// <summary>Embeds one text as part of whatever batch forms around it.</summary>
    /// <exception cref="InvalidTextException">The text is refused.</exception>
    public async Task<SentenceEmbedding> EmbedAsync(string text, EmbeddingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pending = new Pending(text, request, new TaskCompletionSource<SentenceEmbedding>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            if (!_queue.Reader.TryRead(out Pending? first))
            {
                continue;
            }

            batch.Add(first);
            if (MaxWait <= TimeSpan.Zero)
            {
                // No waiting for company: the batch is what queued while the embedder was busy, taken without a timer.
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out Pending? queued))
                {
                    batch.Add(queued);
                }
            }
            else
            {
                using var wait = new CancellationTokenSource(MaxWait);
                try
                {
                    while (batch.Count < MaxBatch)
                    {
                        if (!_queue.Reader.TryRead(out Pending? next))
                        {
                            await _queue.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
                            continue;
                        }

                        batch.Add(next);
                    }
                }
                catch (OperationCanceledException) when (wait.IsCancellationRequested)
                {
                    // The first text has waited long enough.
                }
            }

            // Texts with other pooling or normalisation settings run in their own groups.
            foreach (var group in batch.Where(p => !p.CancellationToken.IsCancellationRequested).GroupBy(p => p.Request))
            {
                Run(group.ToList());
            }

            foreach (Pending cancelled in batch.Where(p => p.CancellationToken.IsCancellationRequested))
            {
                cancelled.Completion.TrySetCanceled(cancelled.CancellationToken);
            }
        }
    }

    private void Run(List<Pending> group)
    {
        try
        {
            IReadOnlyList<SentenceEmbedding> vectors = _embedder.Embed(group.Select(p => p.Text).ToArray(), group[0].Request);
            for (int i = 0; i < group.Count; i++)
            {
                group[i].Completion.TrySetResult(vectors[i]);
            }
        }
        catch (InvalidTextException e) when (group.Count > 1)
        {
            // One bad text fails alone; the others run again without it.
            group[e.Index].Completion.TrySetException(Renumber(e));
            group.RemoveAt(e.Index);
            Run(group);
            return;
        }
        catch (Exception e)
        {
            foreach (Pending pending in group)
            {
                pending.Completion.TrySetException(e is InvalidTextException invalid ? Renumber(invalid) : e);
            }
        }

        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _texts, group.Count);
        BatchCompleted?.Invoke(group.Count);
    }

    /// <summary>The caller sent one text, so the error names position 0, not the position in the shared batch.</summary>
    private static InvalidTextException Renumber(InvalidTextException e) =>
        e is TextTooLongException tooLong ? new TextTooLongException(0, tooLong.Length, tooLong.Limit) : new InvalidTextException(0, e.Reason);

    private sealed record Pending(string Text, EmbeddingRequest Request, TaskCompletionSource<SentenceEmbedding> Completion, CancellationToken CancellationToken);
}
