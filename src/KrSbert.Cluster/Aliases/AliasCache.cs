using Npgsql;

namespace KrSbert.Cluster.Aliases;

/// <summary>
/// A router's copy of <c>krs_alias</c>, so a read (a query, a get, a count) resolves a collection without a
/// PostgreSQL round trip and keeps resolving it while PostgreSQL is down. The host refreshes it in the background
/// (<see cref="RefreshAsync"/>); a name the copy lacks, or a read that needs a later version than the copy names (a
/// consistency token from after a flip), reads through, so a collection just created through another router is
/// found at once. Writes do not use the copy: they append to PostgreSQL anyway and resolve with
/// <see cref="RefreshAsync"/>, so no write lands on a version an alias flip left behind longer ago than one read.
/// </summary>
public sealed class AliasCache
{
    private readonly Func<CancellationToken, Task<AliasTable>> _read;
    private readonly Lock _replacing = new();
    private Entry? _current;
    private long _reads;

    /// <summary>A cache filled by <paramref name="read"/> (which reads <c>krs_alias</c> and throws <see cref="NpgsqlException"/> when PostgreSQL cannot be reached).</summary>
    public AliasCache(Func<CancellationToken, Task<AliasTable>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _read = read;
    }

    /// <summary>The table last read, or null before the first read succeeded.</summary>
    public AliasTable? Last => Volatile.Read(ref _current)?.Table;

    /// <summary>Reads the table from PostgreSQL now, keeps it and returns it.</summary>
    /// <exception cref="NpgsqlException">PostgreSQL cannot be reached; the copy keeps the last table read.</exception>
    public async Task<AliasTable> RefreshAsync(CancellationToken cancellationToken)
    {
        long started = Interlocked.Increment(ref _reads);
        AliasTable table = await _read(cancellationToken).ConfigureAwait(false);
        lock (_replacing)
        {
            // Reads may finish out of order: the one that started later saw the later table.
            if (_current is null || _current.ReadStarted <= started)
            {
                Volatile.Write(ref _current, new Entry(table, started));
            }
        }

        return table;
    }

    /// <summary>
    /// The serving version of <paramref name="collection"/> for a read: from the copy when it names one at least
    /// <paramref name="minimumVersion"/>; otherwise read through. When PostgreSQL cannot be reached, the last table
    /// read still answers for the collections it names.
    /// </summary>
    /// <exception cref="Storage.Collections.CollectionNotFoundException">No alias names the collection.</exception>
    /// <exception cref="NpgsqlException">The copy cannot answer and PostgreSQL cannot be reached.</exception>
    public async Task<CollectionVersion> ResolveAsync(string collection, long minimumVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        if (Last?.Find(collection) is { } cached && cached.Version >= minimumVersion)
        {
            return cached;
        }

        AliasTable table = await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return table.Resolve(collection);
    }

    /// <summary>
    /// Every serving collection for a read that is rare and wants them all (a list): read now, so a collection made
    /// through another router shows at once; when PostgreSQL cannot be reached, the last table read.
    /// </summary>
    /// <exception cref="NpgsqlException">Nothing was ever read and PostgreSQL cannot be reached.</exception>
    public async Task<AliasTable> TableAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException) when (Last is { } last)
        {
            return last;
        }
    }

    /// <summary>
    /// Leaves <paramref name="collection"/> out of the copy at once (this router deleted it), so reads here stop
    /// resolving it without waiting for a refresh that PostgreSQL may not answer.
    /// </summary>
    public void Forget(string collection)
    {
        ArgumentNullException.ThrowIfNull(collection);
        lock (_replacing)
        {
            if (_current is { } current && current.Table.Find(collection) is not null)
            {
                var rest = new AliasTable(current.Table.Collections.Where(c => c != collection).Select(current.Table.Resolve));
                Volatile.Write(ref _current, current with { Table = rest });
            }
        }
    }

    private sealed record Entry(AliasTable Table, long ReadStarted);
}
