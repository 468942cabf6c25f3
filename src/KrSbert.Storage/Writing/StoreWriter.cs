using System.Collections.Concurrent;

namespace KrSbert.Storage.Writing;

/// <summary>
/// The one thread every write runs on. LiteDB binds a transaction to the thread that began it, and a
/// commit from another thread fails and blocks other writers, so writes queue here and run in order.
/// Callers wait asynchronously; at most <c>capacity</c> writes queue before callers wait for room.
/// </summary>
internal sealed class StoreWriter : IDisposable
{
    private readonly BlockingCollection<Action> _queue = new();
    private readonly SemaphoreSlim _room;
    private readonly Thread _thread;

    public StoreWriter(string name, int capacity = 1024)
    {
        _room = new SemaphoreSlim(capacity, capacity);
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Whether the calling code runs on the writer thread.</summary>
    public bool IsWriterThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Runs <paramref name="work"/> on the writer thread.</summary>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _queue.Add(() =>
            {
                // A write that was cancelled while queued never starts; once started it runs to its commit.
                if (cancellationToken.IsCancellationRequested)
                {
                    completion.TrySetCanceled(cancellationToken);
                    return;
                }

                try
                {
                    completion.TrySetResult(work());
                }
                catch (Exception e)
                {
                    completion.TrySetException(e);
                }
            }, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            _room.Release();
            throw new ObjectDisposedException(nameof(StoreWriter), "The store is closed.");
        }

        return await completion.Task.ConfigureAwait(false);
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
        _room.Dispose();
    }

    private void Loop()
    {
        foreach (Action work in _queue.GetConsumingEnumerable())
        {
            work();
            _room.Release();
        }
    }
}
