using System.Buffers;
using System.Numerics.Tensors;
using Cloud.Unum.USearch;
using KrSbert.Index.Native;

namespace KrSbert.Index;

/// <summary>
/// An HNSW graph over (<see cref="ulong"/> key, float vector) pairs, on USearch. Safe to share between threads:
/// writes (<see cref="Add"/>, <see cref="AddBatch"/>, <see cref="Remove"/>) are exclusive, searches run
/// concurrently, at most one per processor.
/// </summary>
/// <remarks>
/// <para>
/// The native library crashes the process, rather than failing, on several misuses: an add concurrent with
/// another add or a search, a vector shorter than the dimension, a damaged file. This class makes them
/// unreachable: a reader-writer lock orders writes against everything else, a semaphore keeps concurrent
/// searches within the native thread slots reserved for them, vectors are checked (length, finite values,
/// non-zero norm for cosine) before they cross, and snapshots are verified before the native loader sees them.
/// </para>
/// <para>
/// A cosine index stores each vector scaled to unit length and scores a query, scaled likewise, by dot product,
/// as hnswlib does: cosine similarity is unchanged, and a comparison costs one dot product instead of a dot
/// product and two norms. With f32 storage the distances run in <see cref="DistanceKernels"/> rather than in
/// USearch's own kernels. Snapshots record whether their vectors are unit length; older ones, which are not,
/// load with USearch's cosine kernel.
/// </para>
/// <para>
/// Removing a key leaves a tombstone in the graph; the next add reuses its slot. <see cref="RemovedCount"/>
/// tells how many are waiting, so that the application can rebuild when they pass a share of the index
/// (20% is the project's rule).
/// </para>
/// </remarks>
public sealed partial class HnswIndex : IDisposable
{
    // ulong.MaxValue is USearch's marker for a removed slot: a vector added under it is stored but never found.
    private const ulong ReservedKey = ulong.MaxValue;

    private readonly UsearchIndexHandle _native;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _searchSlots;
    private readonly int _threads;

    private readonly LiveKeys _keys = new();
    private long _removed;
    private long _capacity;
    private bool _disposed;

    // USearch's choice of kernel for the index's metric and storage on this CPU, before any managed kernel replaces it.
    private string _builtinKernel = "";

    private HnswIndex(HnswOptions options, UsearchIndexHandle native, bool unitVectors)
    {
        Options = options;
        _native = native;
        UnitVectors = unitVectors;
        _threads = Math.Max(1, Environment.ProcessorCount);
        _searchSlots = new SemaphoreSlim(_threads, _threads);
    }

    /// <summary>The options the index was created (or saved) with.</summary>
    public HnswOptions Options { get; }

    /// <summary>How many keys the index holds.</summary>
    public int Count => Read(() => _keys.Count);

    /// <summary>Tombstones: removed entries whose slots no add has reused yet. They still take memory and graph links.</summary>
    public long RemovedCount => Read(() => _removed);

    /// <summary>Bytes of native memory the index uses, as USearch reports it (vectors, graph, reserved slots).</summary>
    public long MemoryBytes => Read(() => UsearchNative.MemoryUsage(_native));

    /// <summary>
    /// The engine and the distance kernels it runs on this CPU, e.g. "USearch 2.26.6, distances: managed f32, 512-bit
    /// (NumKong's own choice: skylake)" or "USearch 2.26.6, distances: NumKong haswell".
    /// </summary>
    public string Engine => Read(() => !HasManagedKernel
        ? $"USearch {UsearchNative.Version()}, distances: NumKong {_builtinKernel}"
        : $"USearch {UsearchNative.Version()}, distances: {DistanceKernels.Description} (NumKong's own choice: {_builtinKernel})");

    /// <summary>Whether vectors are stored scaled to unit length: cosine indexes created by this version (see the remarks).</summary>
    internal bool UnitVectors { get; }

    /// <summary>Searches that ran as an exact scan and filtered searches that ran on the graph; for tests and benchmarks.</summary>
    internal long ExactScans => Interlocked.Read(ref _exactScans);

    internal long FilteredGraphSearches => Interlocked.Read(ref _filteredGraphSearches);

    /// <summary>Filtered searches scanned because the matching vectors fit <see cref="HnswOptions.FullScanThresholdBytes"/>.</summary>
    internal long SmallMatchScans => Interlocked.Read(ref _smallMatchScans);

    /// <summary>Creates an empty index.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (see <see cref="HnswOptions.Validate"/>).</exception>
    public static HnswIndex Create(HnswOptions options) => Create(options, unitVectors: options?.Metric == VectorMetric.Cosine);

    /// <summary>
    /// Creates an empty index that stores vectors at unit length or as given; <c>unitVectors: false</c> under cosine
    /// is how indexes were before issue 12, which snapshots from then still load as. For tests of that path.
    /// </summary>
    internal static HnswIndex Create(HnswOptions options, bool unitVectors)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var index = new HnswIndex(options, UsearchNative.Init(NativeOptions(options)), unitVectors && options.Metric == VectorMetric.Cosine);
        index.ConfigureNative();
        return index;
    }

    /// <summary>Adds <paramref name="vector"/> under <paramref name="key"/>, replacing the vector already there.</summary>
    /// <exception cref="ArgumentException">The vector has the wrong length, a NaN or infinity, or (cosine) a zero norm; the index is unchanged.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="key"/> is <see cref="ulong.MaxValue"/>, which USearch reserves.</exception>
    public void Add(ulong key, ReadOnlySpan<float> vector)
    {
        CheckKey(key, nameof(key));
        VectorChecks.Check(vector, Options.Dimensions, Options.Metric, nameof(vector), Options.Storage);
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            RemoveLocked(key);
            EnsureCapacityLocked(1);
            AddNative(key, vector);
            Track(key);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Adds many vectors at once: <paramref name="vectors"/> holds <paramref name="keys"/>.Length rows of
    /// <see cref="HnswOptions.Dimensions"/> floats. Keys already present are replaced. Everything is checked
    /// before anything is added, then the inserts run on up to <paramref name="maxDegreeOfParallelism"/>
    /// threads (0: one per processor), which USearch supports once capacity is reserved ahead. Should the native
    /// library fail midway (out of memory), the vectors added before the failure stay and the error is rethrown.
    /// </summary>
    /// <exception cref="ArgumentException">A shape mismatch, a bad vector (the message names its row) or a key repeated within the batch; the index is unchanged.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A key is <see cref="ulong.MaxValue"/>.</exception>
    public unsafe void AddBatch(ReadOnlySpan<ulong> keys, ReadOnlySpan<float> vectors, int maxDegreeOfParallelism = 0)
    {
        int dimensions = Options.Dimensions;
        if ((long)keys.Length * dimensions != vectors.Length)
        {
            throw new ArgumentException($"Expected {keys.Length} x {dimensions} = {(long)keys.Length * dimensions} values for {keys.Length} keys, got {vectors.Length}.", nameof(vectors));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxDegreeOfParallelism);
        var seen = new HashSet<ulong>(keys.Length);
        for (int i = 0; i < keys.Length; i++)
        {
            CheckKey(keys[i], nameof(keys));
            if (!seen.Add(keys[i]))
            {
                throw new ArgumentException($"Key {keys[i]} appears more than once in the batch (row {i}).", nameof(keys));
            }

            VectorChecks.CheckRow(vectors.Slice(i * dimensions, dimensions), Options.Metric, nameof(vectors), i, Options.Storage);
        }

        if (keys.Length == 0)
        {
            return;
        }

        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            foreach (ulong key in keys)
            {
                RemoveLocked(key);
            }

            EnsureCapacityLocked(keys.Length);
            // Sized once for the batch rather than doubled on the way: doubling leaves up to half of each unused, and
            // the key tracking is part of the memory per vector.
            _keys.EnsureCapacity(_keys.Count + keys.Length);
            int workers = Math.Min(maxDegreeOfParallelism == 0 ? _threads : maxDegreeOfParallelism, _threads);
            var added = new bool[keys.Length];
            Exception? failure = null;
            fixed (ulong* keyData = keys)
            fixed (float* vectorData = vectors)
            {
                nint keyAddress = (nint)keyData;
                nint vectorAddress = (nint)vectorData;
                Parallel.For(0, keys.Length, new ParallelOptions { MaxDegreeOfParallelism = workers }, (i, state) =>
                {
                    try
                    {
                        var row = new ReadOnlySpan<float>((float*)vectorAddress + ((long)i * dimensions), dimensions);
                        AddNative(((ulong*)keyAddress)[i], row);
                        added[i] = true;
                    }
                    catch (UsearchException e)
                    {
                        Interlocked.CompareExchange(ref failure, e, null);
                        state.Stop();
                    }
                });
            }

            for (int i = 0; i < keys.Length; i++)
            {
                if (added[i])
                {
                    Track(keys[i]);
                }
            }

            if (failure is not null)
            {
                throw failure;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes <paramref name="key"/>; false when it was not there. Leaves a tombstone (see <see cref="RemovedCount"/>).</summary>
    public bool Remove(ulong key)
    {
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            return RemoveLocked(key);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Whether <paramref name="key"/> is in the index.</summary>
    public bool Contains(ulong key) => Read(() => _keys.Contains(key));

    /// <summary>
    /// Copies the vector stored under <paramref name="key"/> into <paramref name="destination"/>; false when the
    /// key is absent. This is the vector as stored, not the one added: under cosine scaled to unit length, and with
    /// <see cref="VectorStorage.F16"/> or <see cref="VectorStorage.I8"/> rounded.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <see cref="HnswOptions.Dimensions"/> long.</exception>
    public bool TryGetVector(ulong key, Span<float> destination)
    {
        if (destination.Length != Options.Dimensions)
        {
            throw new ArgumentException($"Expected a destination of {Options.Dimensions} dimensions, got {destination.Length}.", nameof(destination));
        }

        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            return _keys.Contains(key) && UsearchNative.Get(_native, key, destination);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Frees the native index. Calls after this throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        // Waits for calls in flight. The lock and semaphore are left to the collector: disposing them
        // would turn a call racing with Dispose into an error other than ObjectDisposedException.
        _lock.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _native.Dispose();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private static UsearchInitOptions NativeOptions(HnswOptions options) => new()
    {
        MetricKind = options.Metric switch
        {
            VectorMetric.Cosine => MetricKind.Cos,
            VectorMetric.InnerProduct => MetricKind.Ip,
            _ => MetricKind.L2sq,
        },
        Quantization = options.Storage switch
        {
            VectorStorage.F16 => ScalarKind.Float16,
            VectorStorage.I8 => ScalarKind.Int8,
            _ => ScalarKind.Float32,
        },
        Dimensions = (nuint)options.Dimensions,
        Connectivity = (nuint)options.M,
        ExpansionAdd = (nuint)options.EfConstruction,
        // See SearchGraph: the per-query ef is passed as the result count, so the native default must not exceed it.
        ExpansionSearch = 1,
    };

    private static void CheckKey(ulong key, string parameterName)
    {
        if (key == ReservedKey)
        {
            throw new ArgumentOutOfRangeException(parameterName, key, $"Key {ReservedKey} (ulong.MaxValue) is reserved by USearch for removed entries.");
        }
    }

    /// <summary>
    /// The managed distance function for this index, or null where USearch's own runs: f16 and i8 storage (no
    /// managed half or int8 kernels), and cosine over vectors not stored at unit length (snapshots from before).
    /// </summary>
    private unsafe delegate* unmanaged<float*, float*, nint, float> ManagedKernel =>
        Options.Storage != VectorStorage.F32 ? null : Options.Metric switch
        {
            VectorMetric.Cosine when UnitVectors => &DistanceKernels.InnerProductDistance,
            VectorMetric.InnerProduct => &DistanceKernels.InnerProductDistance,
            VectorMetric.L2 => &DistanceKernels.SquaredEuclideanDistance,
            _ => null,
        };

    private unsafe bool HasManagedKernel => ManagedKernel != null;

    /// <summary>Settings that a loaded native index does not carry, and the thread slots for concurrent calls.</summary>
    private unsafe void ConfigureNative()
    {
        _builtinKernel = UsearchNative.HardwareAcceleration(_native);
        if (HasManagedKernel)
        {
            // The recorded kind stays the index's own, so a snapshot also loads with USearch's builtin kernel.
            UsearchNative.ChangeMetric(_native, ManagedKernel, Options.Dimensions, NativeOptions(Options).MetricKind);
        }

        UsearchNative.ChangeExpansionAdd(_native, Options.EfConstruction);
        UsearchNative.ChangeExpansionSearch(_native, 1);
        UsearchNative.ChangeThreads(_native, _threads);
        _capacity = UsearchNative.Capacity(_native);
    }

    /// <summary>Grows capacity ahead of <paramref name="incoming"/> inserts; USearch refuses (or worse) to insert past it.</summary>
    private void EnsureCapacityLocked(int incoming)
    {
        // Tombstoned slots count: they are reused by adds, but only as many as there are.
        long needed = _keys.Count + _removed + incoming;
        if (needed <= _capacity)
        {
            return;
        }

        long target = Math.Max(needed, Math.Max(64, _capacity + (_capacity / 2)));
        UsearchNative.Reserve(_native, target);
        // Reserving may reset the per-thread scratch; set the slots again for the searches and parallel adds to come.
        UsearchNative.ChangeThreads(_native, _threads);
        _capacity = UsearchNative.Capacity(_native);
    }

    /// <summary>Adds one checked vector, scaled to unit length first when the index stores unit vectors.</summary>
    private void AddNative(ulong key, ReadOnlySpan<float> vector)
    {
        if (!UnitVectors)
        {
            UsearchNative.Add(_native, key, vector);
            return;
        }

        float[] buffer = ArrayPool<float>.Shared.Rent(vector.Length);
        try
        {
            Span<float> unit = buffer.AsSpan(0, vector.Length);
            Normalize(vector, unit);
            UsearchNative.Add(_native, key, unit);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary><paramref name="vector"/> / |<paramref name="vector"/>| into <paramref name="destination"/>; the norm is non-zero (checked).</summary>
    private static void Normalize(ReadOnlySpan<float> vector, Span<float> destination) =>
        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), destination);

    private bool RemoveLocked(ulong key)
    {
        if (!_keys.Contains(key))
        {
            return false;
        }

        UsearchNative.Remove(_native, key);
        _keys.Remove(key);
        _removed++;
        return true;
    }

    private void Track(ulong key)
    {
        _keys.Add(key);

        // USearch puts a new vector into a tombstoned slot when there is one.
        if (_removed > 0)
        {
            _removed--;
        }
    }

    private T Read<T>(Func<T> read)
    {
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            return read();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
