using KrSbert.Storage.Collections;

namespace KrSbert.Storage.Backups;

/// <summary>What a backup copied: its size and SHA-256, when its state was fixed, and the collections it holds.</summary>
/// <param name="Length">Bytes copied.</param>
/// <param name="Sha256">SHA-256 of those bytes, lowercase hex.</param>
/// <param name="TakenAt">When the copy's state was fixed (UTC): every write acknowledged before this is in it.</param>
/// <param name="Collections">The collections as the copy holds them (their change sequences and counts).</param>
/// <param name="WriterPause">
/// The longest step the writer thread ran for the backup (the checkpoints, turning automatic ones off and back on):
/// the longest any write waited on the backup itself. The copy runs off the writer thread.
/// </param>
public sealed record StoreBackup(long Length, string Sha256, DateTime TakenAt, IReadOnlyList<CollectionRecord> Collections, TimeSpan WriterPause);
