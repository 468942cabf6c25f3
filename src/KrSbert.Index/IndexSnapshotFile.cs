using KrSbert.Index.Snapshots;

namespace KrSbert.Index;

/// <summary>
/// Snapshot files for offline tools (the application keeps <see cref="HnswIndex.Save"/>'s bytes in its database).
/// A write never damages the snapshot already on disk, and keeps one previous generation to fall back on.
/// </summary>
public static class IndexSnapshotFile
{
    /// <summary>Suffix of the file being written; a leftover one is an interrupted write and is ignored.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Suffix of the previous generation.</summary>
    public const string PreviousSuffix = ".prev";

    /// <summary>
    /// Writes <paramref name="index"/> to <paramref name="path"/>: first to <c>path.tmp</c>, flushed to disk, then
    /// swapped in by rename, with the snapshot it replaces kept as <c>path.prev</c>. A crash at any point leaves
    /// <c>path</c> a complete snapshot, the old one or the new.
    /// </summary>
    public static void Write(HnswIndex index, string path)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string temporary = full + TemporarySuffix;
        try
        {
            using var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
            index.Save(stream);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        if (File.Exists(full))
        {
            // On Unix this hard-links the current file as the backup, then renames: the path never goes missing.
            File.Replace(temporary, full, full + PreviousSuffix, ignoreMetadataErrors: true);
        }
        else
        {
            File.Move(temporary, full);
        }

        DirectorySync.Flush(Path.GetDirectoryName(full)!);
    }

    /// <summary>
    /// Loads the snapshot at <paramref name="path"/>; when it is missing or fails verification, loads
    /// <c>path.prev</c> instead and says so in the result.
    /// </summary>
    /// <exception cref="IndexSnapshotCorruptException">Both generations fail verification (or the newest does and there is no previous one).</exception>
    /// <exception cref="FileNotFoundException">Neither file exists.</exception>
    public static IndexSnapshotReadResult Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string previous = full + PreviousSuffix;
        Exception newestError;
        try
        {
            return new IndexSnapshotReadResult(Load(full), full, null);
        }
        catch (Exception e) when (e is IndexSnapshotCorruptException or FileNotFoundException && File.Exists(previous))
        {
            newestError = e;
        }

        try
        {
            return new IndexSnapshotReadResult(Load(previous), previous, newestError);
        }
        catch (IndexSnapshotCorruptException e)
        {
            throw new IndexSnapshotCorruptException($"Both {full} ({newestError.Message}) and {previous} ({e.Message}) are unusable.", new AggregateException(newestError, e));
        }
    }

    private static HnswIndex Load(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        return HnswIndex.Load(stream);
    }
}
