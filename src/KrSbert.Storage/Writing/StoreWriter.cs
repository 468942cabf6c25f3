using System.Collections.Concurrent;

namespace KrSbert.Storage.Writing;

/// <summary>
/// The one thread every write runs on. LiteDB binds a transaction to the thread that began it, and a
/// commit from another thread fails and blocks other writers, so writes queue here and run in order.
/// Callers wait asynchronously; at most <c>capacity</c> writes wait before callers wait for room.
/// A durable write is answered only after <c>flush</c> ran for it. Flushes run on a second thread while the
/// writer thread goes on committing, and each flush covers every commit made before it started (at most
/// <c>maxPerFlush</c>): writers that arrive while the disk syncs share the next fsync (group commit).
/// </summary>
internal sealed class StoreWriter : IDisposable
{
    private readonly BlockingCollection<Job> _queue = new();
    private readonly SemaphoreSlim _room;
    private readonly Thread _thread;
    private readonly Thread _flusher;
    private readonly Action _flush;
    private readonly int _maxPerFlush;
    private readonly object _pendingGate = new();
    private readonly List<Job> _pending = [];
    private bool _stopping;

    public StoreWriter(string name, Action flush, int maxPerFlush = 64, int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerFlush, 1);
        _flush = flush;
        _maxPerFlush = maxPerFlush;
        _room = new SemaphoreSlim(capacity, capacity);
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = name + "-flush" };
        _thread.Start();
        _flusher.Start();
    }

    /// <summary>Whether the calling code runs on the writer thread.</summary>
    public bool IsWriterThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Sees "flush" after each shared flush and "ack" before each durable write is answered (tests check the order).</summary>
    public Action<string>? Trace { get; set; }

    /// <summary>Runs <paramref name="work"/> on the writer thread and answers at once.</summary>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        Job<T> job = await EnqueueAsync(work, durable: false, cancellationToken).ConfigureAwait(false);
        return await job.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/> on the writer thread and answers after the next flush (or its failure).</summary>
    public async Task<T> RunDurableAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        (T result, Task durable) = await RunCommittedAsync(work, cancellationToken).ConfigureAwait(false);
        await durable.ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the writer thread and answers once it ran, with a task that completes after
    /// the flush that covers it (or fails with the flush's failure).
    /// </summary>
    public async Task<(T Result, Task Durable)> RunCommittedAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        Job<T> job = await EnqueueAsync(work, durable: true, cancellationToken).ConfigureAwait(false);
        T result = await job.Completion.Task.ConfigureAwait(false);
        return (result, job.Durable.Task);
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        lock (_pendingGate)
        {
            _stopping = true;
            Monitor.PulseAll(_pendingGate);
        }

        _flusher.Join();
        _queue.Dispose();
        _room.Dispose();
    }

    private async Task<Job<T>> EnqueueAsync<T>(Func<T> work, bool durable, CancellationToken cancellationToken)
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

        return job;
    }

    private void Loop()
    {
        foreach (Job job in _queue.GetConsumingEnumerable())
        {
            if (job.Run())
            {
                lock (_pendingGate)
                {
                    _pending.Add(job);
                    Monitor.Pulse(_pendingGate);
                }
            }
            else
            {
                _room.Release();
            }
        }
    }

    private void FlushLoop()
    {
        var waiting = new List<Job>();
        while (true)
        {
            lock (_pendingGate)
            {
                while (_pending.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_pendingGate);
                }

                if (_pending.Count == 0)
                {
                    return;
                }

                int take = Math.Min(_pending.Count, _maxPerFlush);
                waiting.AddRange(_pending.GetRange(0, take));
                _pending.RemoveRange(0, take);
            }

            Flush(waiting);
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
        /// <summary>The work's result (or failure), set once it ran.</summary>
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set once the flush after a durable job ran.</summary>
        public TaskCompletionSource Durable { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
                Completion.TrySetResult(work());
            }
            catch (Exception e)
            {
                Completion.TrySetException(e);
                return false;
            }

            return durable;
        }

        public override void Acknowledge() => Durable.TrySetResult();

        public override void Fail(Exception failure) => Durable.TrySetException(failure);
    }
}
