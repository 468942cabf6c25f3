using KrSbert.Cluster.Consistency;

namespace KrSbert.Cluster.Tests.Consistency;

public class AppliedSequenceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_read_whose_token_the_replica_has_applied_goes_ahead_at_once()
    {
        var applied = new AppliedSequence(version: 1, shard: 1, applied: 10);

        Task wait = applied.WaitForAsync(new ConsistencyToken(1, [new(0, 99), new(1, 10)]), TimeSpan.FromSeconds(10), TimeProvider.System, CancellationToken.None);

        Assert.True(wait.IsCompletedSuccessfully);
        await wait.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_read_waits_until_the_replica_applies_its_shards_sequence()
    {
        var applied = new AppliedSequence(version: 1, shard: 0, applied: 3);
        Task wait = applied.WaitForAsync(new ConsistencyToken(1, [new(0, 5)]), TimeSpan.FromSeconds(20), TimeProvider.System, CancellationToken.None);

        applied.Advance(4);
        await Task.Delay(50).WaitAsync(Timeout);
        Assert.False(wait.IsCompleted);
        applied.Advance(6);

        await wait.WaitAsync(Timeout);
        Assert.Equal(6, applied.Applied);
    }

    [Fact]
    public async Task A_read_fails_at_its_deadline_naming_the_shard_and_both_sequences()
    {
        var clock = new ManualClock();
        var applied = new AppliedSequence(version: 1, shard: 2, applied: 3);
        Task wait = applied.WaitForAsync(new ConsistencyToken(1, [new(2, 9)]), TimeSpan.FromSeconds(5), clock, CancellationToken.None);

        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(wait.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<ConsistencyDeadlineException>(() => wait).WaitAsync(Timeout);
        Assert.Equal((2, 9L, 3L), (error.Shard, error.Wanted, error.Applied));
        Assert.Contains("shard 2 has applied sequence 3; the consistency token asks for 9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_read_is_cancelled_not_timed_out()
    {
        var applied = new AppliedSequence(version: 1, shard: 0);
        using var cancel = new CancellationTokenSource();
        Task wait = applied.WaitForAsync(new ConsistencyToken(1, [new(0, 1)]), TimeSpan.FromSeconds(20), TimeProvider.System, cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait).WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_token_for_another_version_is_refused()
    {
        var applied = new AppliedSequence(version: 2, shard: 0);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => applied.WaitForAsync(new ConsistencyToken(1, []), TimeSpan.FromSeconds(1), TimeProvider.System, CancellationToken.None)).WaitAsync(Timeout);
        Assert.Contains("version 1; this replica serves version 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_applied_sequence_never_goes_back()
    {
        var applied = new AppliedSequence(version: 1, shard: 0, applied: 5);

        applied.Advance(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => applied.Advance(4));
        Assert.Equal(5, applied.Applied);
    }

    /// <summary>A clock whose time moves only when the test says, firing the timers that come due.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private readonly List<ManualTimer> _timers = [];
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public override long GetTimestamp() => _now.UtcTicks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(this, callback, state);
            timer.Change(dueTime, period);
            return timer;
        }

        public void Advance(TimeSpan by)
        {
            _now += by;
            ManualTimer[] due;
            lock (_timers)
            {
                due = [.. _timers.Where(t => t.Due <= _now)];
                foreach (ManualTimer timer in due)
                {
                    _timers.Remove(timer);
                }
            }

            foreach (ManualTimer timer in due)
            {
                timer.Fire();
            }
        }

        private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
        {
            public DateTimeOffset Due { get; private set; }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                lock (clock._timers)
                {
                    clock._timers.Remove(this);
                    if (dueTime != global::System.Threading.Timeout.InfiniteTimeSpan)
                    {
                        Due = clock._now + dueTime;
                        clock._timers.Add(this);
                    }
                }

                return true;
            }

            public void Fire() => callback(state);

            public void Dispose()
            {
                lock (clock._timers)
                {
                    clock._timers.Remove(this);
                }
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
