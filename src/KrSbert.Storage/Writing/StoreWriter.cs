using System.Collections.Concurrent;

namespace KrSbert.Storage.Writing;

/// <summary>
/// The one thread every write runs on. LiteDB binds a transaction to the thread that began it, and a
/// commit from another thread fails and blocks other writers, so writes queue here and run in order.
/// Callers wait asynchronously; at most <c>capacity</c> writes wait before callers wait for room.
/// A durable write is answered only after <c>flush</c> ran: queued writes run back to back and share
/// one flush when the queue runs empty or <c>maxPerFlush</c> of them wait (group commit).
/// </summary>
internal sealed class StoreWriter : IDisposable
{
    private readonly BlockingCollection<Job> _queue = new();
    private readonly SemaphoreSlim _room;
    private readonly Thread _thread;
    private readonly Action _flush;
    private readonly int _maxPerFlush;

    public StoreWriter(string name, Action flush, int maxPerFlush = 64, int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerFlush, 1);
        _flush = flush;
        _maxPerFlush = maxPerFlush;
        _room = new SemaphoreSlim(capacity, capacity);
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Whether the calling code runs on the writer thread.</summary>
    public bool IsWriterThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Sees "flush" after each shared flush and "ack" before each durable write is answered (tests check the order).</summary>
    public Action<string>? Trace { get; set; }

    /// <summary>Runs <paramref name="work"/> on the writer thread and answers at once.</summary>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken) => EnqueueAsync(work, durable: false, cancellationToken);

    /// <summary>Runs <paramref name="work"/> on the writer thread and answers after the next flush (or its failure).</summary>
    public Task<T> RunDurableAsync<T>(Func<T> work, CancellationToken cancellationToken) => EnqueueAsync(work, durable: true, cancellationToken);

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
        _room.Dispose();
    }

    private async Task<T> EnqueueAsync<T>(Func<T> work, bool durable, CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        var job = new Job<T>(work, durable, cancellationToken);
        try
        {
            _queue.Add(job, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            _room.Release();
            throw new ObjectDisposedException(nameof(StoreWriter), "The store is closed.");
        }

        return await job.Completion.Task.ConfigureAwait(false);
    }

    private void Loop()
    {
        var waiting = new List<Job>();
        while (true)
        {
            Job? job;
            if (waiting.Count > 0)
            {
                if (waiting.Count >= _maxPerFlush || !_queue.TryTake(out job))
                {
                    Flush(waiting);
                    continue;
                }
            }
            else if (!_queue.TryTake(out job, Timeout.Infinite))
            {
                return;
            }

            if (job.Run())
            {
                waiting.Add(job);
            }
            else
            {
                _room.Release();
            }
        }
    }

    private void Flush(List<Job> waiting)
    {
        Exception? failure = null;
        try
        {
            _flush();
            Trace?.Invoke("flush");
        }
        catch (Exception e)
        {
            failure = e;
        }

        foreach (Job job in waiting)
        {
            if (failure is null)
            {
                Trace?.Invoke("ack");
                job.Acknowledge();
            }
            else
            {
                job.Fail(failure);
            }

            _room.Release();
        }

        waiting.Clear();
    }

    private abstract class Job
    {
        /// <summary>Runs the work; true when its caller waits for the next flush.</summary>
        public abstract bool Run();

        public abstract void Acknowledge();

        public abstract void Fail(Exception failure);
    }

    private sealed class Job<T>(Func<T> work, bool durable, CancellationToken cancellationToken) : Job
    {
        private T? _result;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool Run()
        {
            // A write that was cancelled while queued never starts; once started it runs to its commit.
            if (cancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(cancellationToken);
                return false;
            }

            try
            {
                _result = work();
            }
            catch (Exception e)
            {
                Completion.TrySetException(e);
                return false;
            }

            if (!durable)
            {
                Completion.TrySetResult(_result);
            }

            return durable;
        }

        public override void Acknowledge() => Completion.TrySetResult(_result!);

        public override void Fail(Exception failure) => Completion.TrySetException(failure);
    }
}
