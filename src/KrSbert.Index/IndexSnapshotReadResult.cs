namespace KrSbert.Index;

/// <summary>What <see cref="IndexSnapshotFile.Read"/> loaded, and from where.</summary>
/// <param name="Index">The loaded index; the caller disposes it.</param>
/// <param name="Path">The file it came from: the snapshot itself, or its <c>.prev</c> generation.</param>
/// <param name="NewestError">Why the newest snapshot was not used, when <paramref name="Path"/> is the previous generation.</param>
public sealed record IndexSnapshotReadResult(HnswIndex Index, string Path, Exception? NewestError)
{
    /// <summary>True when the newest snapshot was missing or corrupt and the previous generation was loaded.</summary>
    public bool FellBack => NewestError is not null;
}
