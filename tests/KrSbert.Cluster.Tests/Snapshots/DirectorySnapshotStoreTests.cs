using System.Security.Cryptography;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Snapshots;
using KrSbert.Cluster.WriteLog;

namespace KrSbert.Cluster.Tests.Snapshots;

public sealed class DirectorySnapshotStoreTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly CollectionVersion Docs = new("docs", 2, 2);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "krsbert-snapstore-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_snapshot_put_is_registered_with_its_sha256_and_reads_back_verified()
    {
        var store = new DirectorySnapshotStore(_root);
        byte[] bytes = RandomNumberGenerator.GetBytes(200_000);

        SnapshotRegistration registration = await store.PutAsync(Docs, 1, 42, new MemoryStream(bytes)).WaitAsync(Timeout);
        await using Stream read = await store.OpenVerifiedAsync(registration).WaitAsync(Timeout);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy).WaitAsync(Timeout);

        Assert.Equal((1, 42L, "docs/v2/shard-1/00000000000000000042.snapshot"), (registration.Shard, registration.Sequence, registration.Location));
        Assert.Equal(SHA256.HashData(bytes), registration.Sha256);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Single(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_damaged_missing_or_out_of_store_snapshot_fails_verification_naming_it()
    {
        var store = new DirectorySnapshotStore(_root);
        SnapshotRegistration registration = await store.PutAsync(Docs, 0, 7, new MemoryStream([1, 2, 3, 4])).WaitAsync(Timeout);
        string path = Path.Combine(_root, registration.Location);
        await File.WriteAllBytesAsync(path, [1, 2, 3, 5]).WaitAsync(Timeout);

        var damaged = await Assert.ThrowsAsync<SnapshotVerificationException>(() => store.OpenVerifiedAsync(registration)).WaitAsync(Timeout);
        Assert.True(await store.DeleteAsync(registration).WaitAsync(Timeout));
        var missing = await Assert.ThrowsAsync<SnapshotVerificationException>(() => store.OpenVerifiedAsync(registration)).WaitAsync(Timeout);
        var outside = await Assert.ThrowsAsync<SnapshotVerificationException>(() => store.OpenVerifiedAsync(registration with { Location = "../elsewhere" })).WaitAsync(Timeout);

        Assert.Contains($"snapshot {registration.Location} cannot be loaded: its SHA-256 is ", damaged.Message, StringComparison.Ordinal);
        Assert.Contains("its file is missing", missing.Message, StringComparison.Ordinal);
        Assert.Contains("outside the snapshot store", outside.Message, StringComparison.Ordinal);
        Assert.False(await store.DeleteAsync(registration).WaitAsync(Timeout));
    }
}
