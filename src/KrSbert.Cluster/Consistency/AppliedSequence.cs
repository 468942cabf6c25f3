namespace KrSbert.Cluster.Consistency;

/// <summary>
/// The log sequence a shard replica has applied, and the wait a read with a consistency token makes for it: the
/// read goes ahead once the replica has applied the token's sequence for its shard, or fails at its deadline.
/// </summary>
public sealed class AppliedSequence
{
    private readonly Lock _gate = new();
    private long _applied;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A replica of <paramref name="shard"/> of collection <paramref name="version"/> that has applied <paramref name="applied"/>.</summary>
    public AppliedSequence(long version, int shard, long applied = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfNegative(applied);
        (Version, Shard, _applied) = (version, shard, applied);
    }

    /// <summary>The collection version the replica serves.</summary>
    public long Version { get; }

    /// <summary>The shard the replica serves.</summary>
    public int Shard { get; }

    /// <summary>The highest sequence applied.</summary>
    public long Applied
    {
        get
        {
            lock (_gate)
            {
                return _applied;
            }
        }
    }

    /// <summary>Records that the replica has applied up to <paramref name="sequence"/>, waking the reads waiting for it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The sequence is lower than one already applied: the log goes only forward.</exception>
    public void Advance(long sequence)
    {
        TaskCompletionSource advanced;
        lock (_gate)
        {
            if (sequence < _applied)
            {
                throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"sequence {sequence} is below the {_applied} already applied.");
            }

            if (sequence == _applied)
            {
                return;
            }

            _applied = sequence;
            advanced = _advanced;
            _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        advanced.SetResult();
    }

    /// <summary>
    /// Returns once this replica has applied <paramref name="token"/>'s sequence for its shard; at once when it
    /// already has or the token names no write on this shard.
    /// </summary>
    /// <exception cref="ConsistencyDeadlineException">The replica had not caught up within <paramref name="deadline"/>.</exception>
    /// <exception cref="ArgumentException">The token is for another collection version.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public async Task WaitForAsync(ConsistencyToken token, TimeSpan deadline, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(clock);
        if (token.Version != Version)
        {
            throw new ArgumentException($"consistency_token is for collection version {token.Version}; this replica serves version {Version}.", nameof(token));
        }

        long wanted = token.SequenceFor(Shard);
        using var expiry = new CancellationTokenSource(deadline, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(expiry.Token, cancellationToken);
        while (true)
        {
            Task advanced;
            lock (_gate)
            {
                if (_applied >= wanted)
                {
                    return;
                }

                advanced = _advanced.Task;
            }

            try
            {
                await advanced.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ConsistencyDeadlineException(Shard, wanted, Applied, deadline);
            }
        }
    }
}
