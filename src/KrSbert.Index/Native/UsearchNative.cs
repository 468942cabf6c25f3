using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace KrSbert.Index.Native;

/// <summary>
/// The C API of the <c>libusearch_c</c> that ships in the Cloud.Unum.USearch package, called directly.
/// The package's managed <c>USearchIndex</c> lacks what this wrapper needs: reserving capacity ahead of
/// inserts (it grows by one vector per add), search threads, serialising to memory, memory usage, and
/// spans instead of arrays. Signatures follow <c>usearch.h</c> of 2.26.
/// </summary>
/// <remarks>
/// Error out-parameters are zeroed before every call: the library writes them only on failure, so a
/// reused variable would report the previous call's error.
/// </remarks>
internal static unsafe partial class UsearchNative
{
    private const string Library = "libusearch_c";

    public static string Version() => Marshal.PtrToStringUTF8(usearch_version()) ?? "unknown";

    public static UsearchIndexHandle Init(in UsearchInitOptions options)
    {
        nint error = 0;
        UsearchInitOptions copy = options;
        nint index = usearch_init(&copy, &error);
        if (error != 0 || index == 0)
        {
            if (index != 0)
            {
                Free(index);
            }

            throw Failure("init", error);
        }

        return new UsearchIndexHandle(index);
    }

    public static void Free(nint index)
    {
        nint error = 0;
        usearch_free(index, &error);
    }

    public static string HardwareAcceleration(UsearchIndexHandle index)
    {
        nint error = 0;
        nint name = usearch_hardware_acceleration(index, &error);
        return Marshal.PtrToStringUTF8(name) ?? "unknown";
    }

    public static long MemoryUsage(UsearchIndexHandle index)
    {
        nint error = 0;
        nuint bytes = usearch_memory_usage(index, &error);
        Check("memory_usage", error);
        return (long)bytes;
    }

    public static long SerializedLength(UsearchIndexHandle index)
    {
        nint error = 0;
        nuint bytes = usearch_serialized_length(index, &error);
        Check("serialized_length", error);
        return (long)bytes;
    }

    public static void SaveBuffer(UsearchIndexHandle index, byte* buffer, long length)
    {
        nint error = 0;
        usearch_save_buffer(index, buffer, (nuint)length, &error);
        Check("save_buffer", error);
    }

    public static void LoadBuffer(UsearchIndexHandle index, byte* buffer, long length)
    {
        nint error = 0;
        usearch_load_buffer(index, buffer, (nuint)length, &error);
        Check("load_buffer", error);
    }

    public static UsearchInitOptions MetadataBuffer(byte* buffer, long length)
    {
        nint error = 0;
        UsearchInitOptions options = default;
        usearch_metadata_buffer(buffer, (nuint)length, &options, &error);
        Check("metadata_buffer", error);
        return options;
    }

    public static long Size(UsearchIndexHandle index)
    {
        nint error = 0;
        nuint size = usearch_size(index, &error);
        Check("size", error);
        return (long)size;
    }

    public static long Capacity(UsearchIndexHandle index)
    {
        nint error = 0;
        nuint capacity = usearch_capacity(index, &error);
        Check("capacity", error);
        return (long)capacity;
    }

    public static long Dimensions(UsearchIndexHandle index)
    {
        nint error = 0;
        nuint dimensions = usearch_dimensions(index, &error);
        Check("dimensions", error);
        return (long)dimensions;
    }

    public static void Reserve(UsearchIndexHandle index, long capacity)
    {
        nint error = 0;
        usearch_reserve(index, (nuint)capacity, &error);
        Check("reserve", error);
    }

    public static void ChangeExpansionAdd(UsearchIndexHandle index, int expansion)
    {
        nint error = 0;
        usearch_change_expansion_add(index, (nuint)expansion, &error);
        Check("change_expansion_add", error);
    }

    public static void ChangeExpansionSearch(UsearchIndexHandle index, int expansion)
    {
        nint error = 0;
        usearch_change_expansion_search(index, (nuint)expansion, &error);
        Check("change_expansion_search", error);
    }

    public static void ChangeThreads(UsearchIndexHandle index, int threads)
    {
        nint error = 0;
        usearch_change_threads_add(index, (nuint)threads, &error);
        Check("change_threads_add", error);
        usearch_change_threads_search(index, (nuint)threads, &error);
        Check("change_threads_search", error);
    }

    /// <summary>
    /// Makes <paramref name="distance"/> the index's distance function, called as (a, b, <paramref name="state"/>);
    /// <paramref name="kind"/> is what a saved index records. A loaded index comes back with the builtin kernel of
    /// its recorded kind, so this is set again after every load.
    /// </summary>
    public static void ChangeMetric(UsearchIndexHandle index, delegate* unmanaged<float*, float*, nint, float> distance, nint state, MetricKind kind)
    {
        nint error = 0;
        usearch_change_metric(index, distance, state, kind, &error);
        Check("change_metric", error);
    }

    public static void Add(UsearchIndexHandle index, ulong key, ReadOnlySpan<float> vector)
    {
        nint error = 0;
        fixed (float* data = vector)
        {
            usearch_add(index, key, data, ScalarKind.Float32, &error);
        }

        Check("add", error);
    }

    public static bool Contains(UsearchIndexHandle index, ulong key)
    {
        nint error = 0;
        bool found = usearch_contains(index, key, &error) != 0;
        Check("contains", error);
        return found;
    }

    /// <summary>Nearest <paramref name="keys"/>.Length entries by distance, ascending; returns how many were found.</summary>
    public static int Search(UsearchIndexHandle index, ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances)
    {
        nint error = 0;
        nuint found;
        fixed (float* q = query)
        fixed (ulong* k = keys)
        fixed (float* d = distances)
        {
            found = usearch_search(index, q, ScalarKind.Float32, (nuint)Math.Min(keys.Length, distances.Length), k, d, &error);
        }

        Check("search", error);
        return (int)found;
    }

    /// <summary>
    /// Nearest <paramref name="keys"/>.Length entries that <paramref name="filter"/> accepts (it returns non-zero),
    /// by distance, ascending; returns how many were found. USearch walks the graph through rejected entries too
    /// and keeps only accepted ones in its candidate list, so the list length counts passing entries. The filter
    /// runs on the calling thread and must not throw (an exception cannot cross the native frames).
    /// </summary>
    public static int FilteredSearch(UsearchIndexHandle index, ReadOnlySpan<float> query, delegate* unmanaged<ulong, nint, int> filter, nint filterState, Span<ulong> keys, Span<float> distances)
    {
        nint error = 0;
        nuint found;
        fixed (float* q = query)
        fixed (ulong* k = keys)
        fixed (float* d = distances)
        {
            found = usearch_filtered_search(index, q, ScalarKind.Float32, (nuint)Math.Min(keys.Length, distances.Length), filter, filterState, k, d, &error);
        }

        Check("filtered_search", error);
        return (int)found;
    }

    /// <summary>Copies the stored vector of <paramref name="key"/>, converted to float; false when the key is absent.</summary>
    public static bool Get(UsearchIndexHandle index, ulong key, Span<float> vector)
    {
        nint error = 0;
        nuint found;
        fixed (float* v = vector)
        {
            found = usearch_get(index, key, 1, v, ScalarKind.Float32, &error);
        }

        Check("get", error);
        return found > 0;
    }

    /// <summary>
    /// <see cref="Get(UsearchIndexHandle, ulong, Span{float})"/> on a raw handle, for loops over every key: skips the
    /// reference counting a <see cref="SafeHandle"/> argument costs on each call. The caller keeps the index alive.
    /// </summary>
    public static bool Get(nint index, ulong key, Span<float> vector)
    {
        nint error = 0;
        nuint found;
        fixed (float* v = vector)
        {
            found = usearch_get_raw(index, key, 1, v, ScalarKind.Float32, &error);
        }

        Check("get", error);
        return found > 0;
    }

    public static bool Remove(UsearchIndexHandle index, ulong key)
    {
        nint error = 0;
        nuint removed = usearch_remove(index, key, &error);
        Check("remove", error);
        return removed > 0;
    }

    private static void Check(string operation, nint error)
    {
        if (error != 0)
        {
            throw Failure(operation, error);
        }
    }

    private static UsearchException Failure(string operation, nint error) =>
        new(operation, error == 0 ? "no index returned" : Marshal.PtrToStringUTF8(error) ?? "unknown error");

    [LibraryImport(Library)]
    private static partial nint usearch_version();

    [LibraryImport(Library)]
    private static partial nint usearch_init(UsearchInitOptions* options, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_free(nint index, nint* error);

    [LibraryImport(Library)]
    private static partial nint usearch_hardware_acceleration(UsearchIndexHandle index, nint* error);

    [LibraryImport(Library)]
    private static partial nuint usearch_memory_usage(UsearchIndexHandle index, nint* error);

    [LibraryImport(Library)]
    private static partial nuint usearch_serialized_length(UsearchIndexHandle index, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_save_buffer(UsearchIndexHandle index, byte* buffer, nuint length, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_load_buffer(UsearchIndexHandle index, byte* buffer, nuint length, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_metadata_buffer(byte* buffer, nuint length, UsearchInitOptions* options, nint* error);

    [LibraryImport(Library)]
    private static partial nuint usearch_size(UsearchIndexHandle index, nint* error);

    [LibraryImport(Library)]
    private static partial nuint usearch_capacity(UsearchIndexHandle index, nint* error);

    [LibraryImport(Library)]
    private static partial nuint usearch_dimensions(UsearchIndexHandle index, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_reserve(UsearchIndexHandle index, nuint capacity, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_change_expansion_add(UsearchIndexHandle index, nuint expansion, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_change_expansion_search(UsearchIndexHandle index, nuint expansion, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_change_threads_add(UsearchIndexHandle index, nuint threads, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_change_threads_search(UsearchIndexHandle index, nuint threads, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_change_metric(UsearchIndexHandle index, delegate* unmanaged<float*, float*, nint, float> metric, nint state, MetricKind kind, nint* error);

    [LibraryImport(Library)]
    private static partial void usearch_add(UsearchIndexHandle index, ulong key, float* vector, ScalarKind kind, nint* error);

    [LibraryImport(Library)]
    private static partial byte usearch_contains(UsearchIndexHandle index, ulong key, nint* error);

    [LibraryImport(Library)]
    private static partial nuint usearch_search(UsearchIndexHandle index, float* query, ScalarKind kind, nuint count, ulong* keys, float* distances, nint* error);

    [LibraryImport(Library)]
    private static partial nuint usearch_filtered_search(UsearchIndexHandle index, float* query, ScalarKind kind, nuint count, delegate* unmanaged<ulong, nint, int> filter, nint filterState, ulong* keys, float* distances, nint* error);

    [LibraryImport(Library)]
    private static partial nuint usearch_get(UsearchIndexHandle index, ulong key, nuint count, float* vector, ScalarKind kind, nint* error);

    [LibraryImport(Library, EntryPoint = "usearch_get")]
    private static partial nuint usearch_get_raw(nint index, ulong key, nuint count, float* vector, ScalarKind kind, nint* error);

    [LibraryImport(Library)]
    private static partial nuint usearch_remove(UsearchIndexHandle index, ulong key, nint* error);
}
