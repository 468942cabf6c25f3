using System.Globalization;
using System.Security.Cryptography;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.WriteLog;

namespace KrSbert.Cluster.Snapshots;

/// <summary>
/// A snapshot store on a file system (a volume mounted by every builder and replica). A snapshot is written to a
/// temporary file, flushed to disk and renamed into place, so a reader never sees half of one.
/// </summary>
public sealed class DirectorySnapshotStore : ISnapshotStore
{
    private readonly string _root;

    /// <summary>A store under <paramref name="root"/>, created when missing.</summary>
    public DirectorySnapshotStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    /// <inheritdoc/>
    public async Task<SnapshotRegistration> PutAsync(CollectionVersion version, int shard, long sequence, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        string location = string.Create(CultureInfo.InvariantCulture, $"{version.Collection}/v{version.Version}/shard-{shard}/{sequence:D20}.snapshot");
        string path = PathOf(location);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        byte[] hash;
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                byte[] buffer = new byte[1 << 16];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                hash = sha.GetHashAndReset();
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        return new SnapshotRegistration(shard, sequence, location, hash);
    }

    /// <inheritdoc/>
    public async Task<Stream> OpenVerifiedAsync(SnapshotRegistration snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        string path = PathOf(snapshot.Location);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SnapshotVerificationException(snapshot.Location, "its file is missing");
        }

        try
        {
            byte[] hash = await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
            if (!CryptographicOperations.FixedTimeEquals(hash, snapshot.Sha256))
            {
                throw new SnapshotVerificationException(snapshot.Location, $"its SHA-256 is {Convert.ToHexStringLower(hash)}; {Convert.ToHexStringLower(snapshot.Sha256)} was registered");
            }

            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public Task<bool> DeleteAsync(SnapshotRegistration snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        string path = PathOf(snapshot.Location);
        bool existed = File.Exists(path);
        File.Delete(path);
        return Task.FromResult(existed);
    }

    /// <summary>The file of a location, which must lie under the root: a registration is data from the database, not a path to trust.</summary>
    private string PathOf(string location)
    {
        string path = Path.GetFullPath(Path.Combine(_root, location));
        return path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new SnapshotVerificationException(location, "it lies outside the snapshot store");
    }
}
