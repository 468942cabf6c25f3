namespace KrSbert.Search.Collections;

/// <summary>
/// The right to change one open collection: held while a batch is written to the store and applied to its
/// indexes, while a snapshot is serialised, and while indexes are swapped. Methods that need it take it as a
/// parameter, so "called with the lock held" is checked by the compiler; disposing it releases the lock.
/// </summary>
internal sealed class CollectionLease : IDisposable
{
    private readonly SemaphoreSlim _lock;
    private int _released;

    private CollectionLease(OpenCollection collection, SemaphoreSlim writeLock)
    {
        Collection = collection;
        _lock = writeLock;
    }

    /// <summary>The collection this lease is for.</summary>
    public OpenCollection Collection { get; }

    /// <summary>Waits for the collection's lock.</summary>
    public static async Task<CollectionLease> AcquireAsync(OpenCollection collection, SemaphoreSlim writeLock, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new CollectionLease(collection, writeLock);
    }

    /// <summary>Throws unless this lease is for <paramref name="collection"/>.</summary>
    public void Check(OpenCollection collection)
    {
        if (!ReferenceEquals(collection, Collection) || Volatile.Read(ref _released) != 0)
        {
            throw new InvalidOperationException($"The lease is for collection '{Collection.Name}' and must be held.");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _lock.Release();
        }
    }
}
