using KrSbert.Storage.Collections;
using KrSbert.Storage.Files;
using LiteDB;

namespace KrSbert.Storage;

public sealed partial class DocumentStore
{
    /// <summary>
    /// Runs <paramref name="work"/> in one transaction on the writer thread; under <see cref="StoreDurability.Fsync"/>
    /// the caller is answered after the commit is fsynced.
    /// </summary>
    private Task<T> WriteAsync<T>(Func<LiteDatabase, T> work, CancellationToken cancellationToken) =>
        _options.Durability == StoreDurability.Fsync
            ? _writer.RunDurableAsync(Transaction(work), cancellationToken)
            : _writer.RunAsync(Transaction(work), cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction on the writer thread and answers once it is committed, with a
    /// task that completes when the commit is on disk (at once under <see cref="StoreDurability.Os"/>).
    /// </summary>
    private async Task<(T Result, Task Durable)> WriteCommittedAsync<T>(Func<LiteDatabase, T> work, CancellationToken cancellationToken) =>
        _options.Durability == StoreDurability.Fsync
            ? await _writer.RunCommittedAsync(Transaction(work), cancellationToken).ConfigureAwait(false)
            : (await _writer.RunAsync(Transaction(work), cancellationToken).ConfigureAwait(false), Task.CompletedTask);

    private Func<T> Transaction<T>(Func<LiteDatabase, T> work)
    {
        T Transaction()
        {
            LiteDatabase db = Writable();
            try
            {
                db.BeginTrans();
                T result = work(db);
                db.Commit();
                _writer.Trace?.Invoke("commit");
                if (_options.Durability == StoreDurability.Os)
                {
                    MarkWritesAvailable(true);
                }

                return result;
            }
            catch (Exception e) when (IsCallerError(e))
            {
                RollBack(db, e);
                throw;
            }
            catch (Exception e)
            {
                throw Fail(e);
            }
        }

        return Transaction;
    }

    /// <summary>Runs maintenance outside a transaction (checkpoint, dropping data of deleted collections) on the writer thread.</summary>
    private Task<bool> MaintainAsync(Action<LiteDatabase> work, CancellationToken cancellationToken = default) =>
        _writer.RunAsync(() =>
        {
            try
            {
                work(Writable());
                return true;
            }
            catch (Exception e) when (e is not StoreUnavailableException)
            {
                throw Fail(e);
            }
        }, cancellationToken);

    private Task<bool> MaintainAsync(Func<LiteDatabase, int> work) => MaintainAsync(db => { _ = work(db); });

    /// <summary>Runs a read on the calling thread; waits out a reopen in progress and retries once on the new instance.</summary>
    private T Read<T>(Func<LiteDatabase, T> work)
    {
        for (int attempt = 0; ; attempt++)
        {
            StoreDatabase? current = Volatile.Read(ref _current);
            if (current is null)
            {
                lock (_reopenGate)
                {
                    current = _current;
                }

                if (current is null)
                {
                    ScheduleRepair(null);
                    throw new StoreUnavailableException($"The database {_path} in data folder {_directory} is closed after a failure and is being reopened; retry shortly.");
                }
            }

            try
            {
                return work(current.Database);
            }
            catch (Exception e) when (IsFatal(e))
            {
                lock (_reopenGate)
                {
                    // A write that failed replaces the instance under this read; the new one has every committed change.
                    if (attempt == 0 && _current is not null && !ReferenceEquals(_current, current))
                    {
                        continue;
                    }
                }

                ScheduleRepair(current);
                throw new StoreUnavailableException($"The database {_path} in data folder {_directory} failed and is being reopened; retry shortly: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// The shared fsync of commits; runs on the writer's flush thread while the writer thread goes on committing.
    /// A failed fsync leaves the instance suspect: it is reopened on the writer thread, and the waiting callers are
    /// told their write is not confirmed.
    /// </summary>
    private void FlushLog()
    {
        StoreDatabase? current;
        Exception? failure = null;
        lock (_flushGate)
        {
            current = Volatile.Read(ref _current);
            if (current is null)
            {
                throw new StoreUnavailableException($"The database {_path} in data folder {_directory} was closed by a failure before the write reached the disk; the write is not confirmed. Retry.");
            }

            try
            {
                current.FlushLog();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }

        if (failure is not null)
        {
            Log.StoreFailed(_logger, _path, failure);
            MarkWritesAvailable(false);
            _ = _writer.RunAsync(() =>
            {
                if (ReferenceEquals(Volatile.Read(ref _current), current))
                {
                    TryReopen();
                }

                return true;
            }, CancellationToken.None);
            // The commit happened; only its flush failed, so the write may or may not survive a power cut.
            throw IsNoSpace(failure)
                ? new StoreFullException(_directory, failure, confirmed: false)
                : new StoreUnavailableException($"The database {_path} in data folder {_directory} failed to sync ({failure.Message}); it is being reopened. The write is not confirmed on disk: it may be stored; retry it (upserts are idempotent).", failure);
        }

        MarkWritesAvailable(true);
    }

    /// <summary>The open database, reopened first when a failure left it closed. Runs on the writer thread.</summary>
    private LiteDatabase Writable()
    {
        if (Volatile.Read(ref _current) is null && TryReopen() is { } failure)
        {
            MarkWritesAvailable(false);
            throw Unavailable(failure, reopened: false);
        }

        return (Volatile.Read(ref _current) ?? throw new StoreUnavailableException($"The database {_path} in data folder {_directory} is closed after a failure; the write was not stored. Retry.")).Database;
    }

    /// <summary>
    /// After a write failed for a reason other than the caller's, LiteDB's memory may not match its files (pages a
    /// failed commit left half-written, an instance its own I/O error disposed), and a rollback cannot be trusted to
    /// repair that: the instance is closed and the files reopened, which keeps every committed change and drops the
    /// rest. Runs on the writer thread. Returns what the caller is told.
    /// </summary>
    private StoreUnavailableException Fail(Exception cause)
    {
        Log.StoreFailed(_logger, _path, cause);
        MarkWritesAvailable(false);
        Exception? reopenFailure = TryReopen();
        return Unavailable(cause, reopened: reopenFailure is null);
    }

    private StoreUnavailableException Unavailable(Exception cause, bool reopened) =>
        IsNoSpace(cause)
            ? new StoreFullException(_directory, cause)
            : new StoreUnavailableException(reopened
                ? $"The database {_path} in data folder {_directory} failed ({cause.Message}); it was reopened and the write was not stored. Retry."
                : $"The database {_path} in data folder {_directory} failed ({cause.Message}) and could not be reopened yet; the write was not stored. The next call retries.", cause);

    /// <summary>Closes the current instance and opens the files again; null when that worked, else why not (the next call tries again).</summary>
    private Exception? TryReopen()
    {
        // Readers wait at the reopen gate; the flush gate keeps an fsync in progress from losing its files under it.
        lock (_reopenGate)
        lock (_flushGate)
        {
            StoreDatabase? old = _current;
            Volatile.Write(ref _current, null);
            IReadOnlyList<object> broken = old is null ? [] : BrokenTransactions.Collect(old.Database);
            try
            {
                old?.Dispose();
            }
            catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Closing a broken instance may fail the same way it broke; the files are what counts.
            }
            finally
            {
                BrokenTransactions.Forget(broken);
            }

            try
            {
                if (OpenFault?.Invoke() is { } fault)
                {
                    throw fault;
                }

                StoreDatabase reopened = StoreDatabase.Open(_path, _options.Durability, InjectedFault);
                // A backup that failed with the store left checkpoints off in the log; none runs now, so turn them on.
                if (_checkpointHold.CurrentCount > 0)
                {
                    ResumeCheckpoints(reopened.Database);
                }

                Volatile.Write(ref _current, reopened);
            }
            catch (Exception e) when (e is LiteException or IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                Log.StoreReopenFailed(_logger, _path, e);
                return e;
            }

            int count = Interlocked.Increment(ref _reopenCount);
            Log.StoreReopened(_logger, _path, count);
            return null;
        }
    }

    /// <summary>Reopens a database a read found broken, on the writer thread, unless a write already did.</summary>
    private void ScheduleRepair(StoreDatabase? broken) =>
        _ = _writer.RunAsync(() =>
        {
            StoreDatabase? current = Volatile.Read(ref _current);
            if (current is null || (ReferenceEquals(current, broken) && IsBroken(current.Database)))
            {
                TryReopen();
            }

            return true;
        }, CancellationToken.None);

    private void RollBack(LiteDatabase db, Exception cause)
    {
        try
        {
            db.Rollback();
        }
        catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            Log.StoreFailed(_logger, _path, new AggregateException(cause, e));
            TryReopen();
        }
    }

    private void MarkWritesAvailable(bool available)
    {
        int value = available ? 1 : 0;
        if (Interlocked.Exchange(ref _writesAvailable, value) == value)
        {
            return;
        }

        if (available)
        {
            Log.StoreWritesResumed(_logger, _path);
        }

        WritesAvailableChanged?.Invoke(this, EventArgs.Empty);
    }

    private Exception? InjectedFault() => WriteFault?.Invoke();

    /// <summary>Failures that say the request was wrong, not the store: rolled back, and the store stays as it is.</summary>
    private static bool IsCallerError(Exception e) =>
        e is CollectionNotFoundException or CollectionExistsException or ArgumentException or Snapshots.SnapshotCorruptException
        || (e is LiteException { ErrorCode: LiteException.INVALID_NULL_CHAR_STRING });

    private static bool IsBroken(LiteDatabase database)
    {
        try
        {
            _ = database.GetCollection(StoreSchema.Meta).Count();
            return false;
        }
        catch (Exception e) when (IsFatal(e))
        {
            return true;
        }
    }

    // LiteDB closes its engine on a data-file state error ("page must be writable…") and repeats that error on every
    // later call, reads included: such an instance is as broken as a disposed one.
    private static bool IsFatal(Exception e) =>
        e is IOException or ObjectDisposedException
        || (e is LiteException lite && (lite.ErrorCode == LiteException.INVALID_DATAFILE_STATE || lite.Message.Contains("disposed", StringComparison.OrdinalIgnoreCase)));

    /// <summary>ENOSPC (28) on Linux, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows, anywhere in the chain.</summary>
    private static bool IsNoSpace(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is IOException io && (io.HResult is 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027)
                || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
