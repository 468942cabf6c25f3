using KrSbert.Index.Native;
using KrSbert.Index.Snapshots;

namespace KrSbert.Index;

public sealed partial class HnswIndex
{
    /// <summary>
    /// Writes a checksummed snapshot of the index to <paramref name="destination"/> (a file, or a byte array
    /// for a database). Searches go on meanwhile; writes wait until the index has been serialised to memory,
    /// which takes about as much memory again as the index.
    /// </summary>
    /// <remarks>The format is described in <c>Snapshots/SnapshotFormat.cs</c>; <see cref="Load"/> verifies it.</remarks>
    public void Save(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        NativeBuffer blob;
        ulong[] keys;
        long removed;
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            blob = new NativeBuffer(UsearchNative.SerializedLength(_native));
            try
            {
                unsafe
                {
                    UsearchNative.SaveBuffer(_native, blob.Pointer, blob.Length);
                }
            }
            catch
            {
                blob.Dispose();
                throw;
            }

            keys = _keys.Keys.ToArray();
            removed = _removed;
        }
        finally
        {
            _lock.ExitReadLock();
        }

        using (blob)
        {
            SnapshotFormat.Write(destination, Options, UnitVectors, keys, removed, blob);
        }
    }

    /// <summary>
    /// Reads a snapshot written by <see cref="Save"/>. The header and payload checksums, and the header's
    /// agreement with USearch's own metadata, are verified before the native loader sees a byte; afterwards
    /// the loaded index must hold exactly the saved keys.
    /// </summary>
    /// <exception cref="IndexSnapshotCorruptException">The snapshot is damaged, truncated, or not a snapshot.</exception>
    public static HnswIndex Load(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using SnapshotContents contents = SnapshotFormat.Read(source);
        HnswOptions options = contents.Options;
        ulong[] keys = contents.Keys;
        var distinct = new HashSet<ulong>(keys.Length);
        foreach (ulong key in keys)
        {
            if (key == ReservedKey || !distinct.Add(key))
            {
                throw new IndexSnapshotCorruptException($"Snapshot lists key {key} twice or uses the reserved key.");
            }
        }

        CheckNativeMetadata(contents);
        UsearchIndexHandle native = UsearchNative.Init(NativeOptions(options));
        var index = new HnswIndex(options, native, contents.UnitVectors);
        try
        {
            unsafe
            {
                UsearchNative.LoadBuffer(native, contents.Blob.Pointer, contents.Blob.Length);
            }

            long size = UsearchNative.Size(native);
            long dimensions = UsearchNative.Dimensions(native);
            if (size != keys.Length || dimensions != options.Dimensions)
            {
                throw new IndexSnapshotCorruptException($"Snapshot header says {keys.Length} keys of {options.Dimensions} dimensions; the index inside holds {size} of {dimensions}.");
            }

            index._keys.EnsureCapacity(keys.Length);
            foreach (ulong key in keys)
            {
                if (!UsearchNative.Contains(native, key))
                {
                    throw new IndexSnapshotCorruptException($"Snapshot lists key {key}, which the index inside lacks.");
                }

                if (index._keys.Contains(key))
                {
                    throw new IndexSnapshotCorruptException($"Snapshot lists key {key} twice.");
                }

                index._keys.Add(key);
            }

            index._removed = contents.Removed;
            index.ConfigureNative();
            return index;
        }
        catch (UsearchException e)
        {
            index.Dispose();
            throw new IndexSnapshotCorruptException($"USearch cannot load the snapshot's index: {e.NativeMessage}", e);
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>USearch's own header inside the blob must describe the index the snapshot header describes.</summary>
    private static unsafe void CheckNativeMetadata(SnapshotContents contents)
    {
        UsearchInitOptions stored;
        try
        {
            stored = UsearchNative.MetadataBuffer(contents.Blob.Pointer, contents.Blob.Length);
        }
        catch (UsearchException e)
        {
            throw new IndexSnapshotCorruptException($"USearch cannot read the snapshot's index metadata: {e.NativeMessage}", e);
        }

        UsearchInitOptions expected = NativeOptions(contents.Options);
        if (stored.Dimensions != expected.Dimensions || stored.MetricKind != expected.MetricKind || stored.Quantization != expected.Quantization)
        {
            throw new IndexSnapshotCorruptException(
                $"Snapshot header says {contents.Options.Dimensions} dimensions, {contents.Options.Metric}, {contents.Options.Storage}; " +
                $"the index inside is {stored.Dimensions} dimensions, {stored.MetricKind}, {stored.Quantization}.");
        }
    }
}
