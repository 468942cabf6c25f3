using KrSbert.Cluster.Querying;
using KrSbert.Search.Querying;

namespace KrSbert.Cluster.Tests.Querying;

/// <summary>The router's scatter: one replica per shard in turn, the next one when a replica is unavailable, coverage when a shard is lost.</summary>
public sealed class ScatterGatherTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Each_query_asks_one_replica_per_shard_in_turn()
    {
        Replica[][] shards = [[new("0a", "a0"), new("0b", "a0")], [new("1a", "b1"), new("1b", "b1")]];
        var scatter = new ScatterGather<string>(2, (shard, _) => ValueTask.FromResult<IReadOnlyList<IShardReplica<string>>>(shards[shard]));

        for (int i = 0; i < 4; i++)
        {
            MergedHits merged = await scatter.QueryAsync(_ => "q", topK: 10, allowPartial: false, CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(["a0", "b1"], merged.Hits.Select(h => h.Id));
        }

        Assert.All(shards.SelectMany(s => s), r => Assert.Equal(2, r.Asked));
    }

    [Fact]
    public async Task An_unavailable_replica_is_passed_over_for_the_shards_other_replica()
    {
        var down = new Replica("0a", "a0") { Down = true };
        var up = new Replica("0b", "a0");
        var scatter = new ScatterGather<string>(1, (_, _) => ValueTask.FromResult<IReadOnlyList<IShardReplica<string>>>([down, up]));

        for (int i = 0; i < 6; i++)
        {
            MergedHits merged = await scatter.QueryAsync(_ => "q", topK: 10, allowPartial: false, CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(new Coverage(1, 1), merged.Coverage);
        }

        Assert.Equal(6, up.Asked);
    }

    [Fact]
    public async Task A_shard_with_every_replica_down_fails_the_query_or_leaves_it_out_with_its_coverage()
    {
        Replica[][] shards = [[new("0a", "a0"), new("0b", "a0")], [new("1a", "b1") { Down = true }, new("1b", "b1") { Down = true }], []];
        var scatter = new ScatterGather<string>(3, (shard, _) => ValueTask.FromResult<IReadOnlyList<IShardReplica<string>>>(shards[shard]));

        var refused = await Assert.ThrowsAsync<ShardsUnavailableException>(() => scatter.QueryAsync(_ => "q", 10, allowPartial: false, CancellationToken.None)).WaitAsync(Timeout);
        MergedHits partial = await scatter.QueryAsync(_ => "q", 10, allowPartial: true, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal([1, 2], refused.Shards);
        Assert.Contains("shards 1, 2 (of 3)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["a0"], partial.Hits.Select(h => h.Id));
        Assert.Equal(new Coverage(1, 3), partial.Coverage);
    }

    [Fact]
    public async Task A_replica_error_other_than_unavailable_fails_the_query()
    {
        var broken = new Replica("0a", "a0") { Failure = new InvalidOperationException("bad request") };
        var scatter = new ScatterGather<string>(2, (shard, _) => ValueTask.FromResult<IReadOnlyList<IShardReplica<string>>>(shard == 0 ? [broken, broken] : [new Replica("1a", "b1")]));

        // A wrong query would fail on every replica: it is the caller's error, not a lost shard, even with partial results allowed.
        await Assert.ThrowsAsync<InvalidOperationException>(() => scatter.QueryAsync(_ => "q", 10, allowPartial: true, CancellationToken.None)).WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_silent_replica_is_given_up_within_its_share_of_the_deadline_and_then_asked_last()
    {
        var silent = new Replica("0a", "a0") { Silent = true };
        var up = new Replica("0b", "a0");
        var scatter = new ScatterGather<string>(1, (_, _) => ValueTask.FromResult<IReadOnlyList<IShardReplica<string>>>([silent, up])) { PassOver = TimeSpan.FromMinutes(1) };

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 6; i++)
        {
            using var caller = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            MergedHits merged = await scatter.QueryAsync(_ => "q", 10, allowPartial: false, caller.Token, DateTime.UtcNow.AddSeconds(2)).WaitAsync(Timeout);
            Assert.Equal(["a0"], merged.Hits.Select(h => h.Id));
        }

        // The first query that picked it waited half its deadline for it; every later query went to the other replica first.
        Assert.Equal((1, 6), (silent.Calls, up.Asked));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(1.9));
    }

    [Fact]
    public async Task Without_a_deadline_a_silent_replica_is_waited_for_until_the_caller_cancels()
    {
        var silent = new Replica("0a", "a0") { Silent = true };
        var scatter = new ScatterGather<string>(1, (_, _) => ValueTask.FromResult<IReadOnlyList<IShardReplica<string>>>([silent, new Replica("0b", "a0")]));
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        // The first pick is the second replica's turn: query once to move the turn to the silent one.
        await scatter.QueryAsync(_ => "q", 10, allowPartial: false, CancellationToken.None).WaitAsync(Timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scatter.QueryAsync(_ => "q", 10, allowPartial: false, caller.Token)).WaitAsync(Timeout);
    }

    /// <summary>A replica in memory holding one document; it counts the queries it answered.</summary>
    private sealed class Replica(string address, string id) : IShardReplica<string>
    {
        public string Address => address;

        public bool Down { get; init; }

        public Exception? Failure { get; init; }

        /// <summary>Never answers nor fails (its packets dropped by a partition) until the call is cancelled.</summary>
        public bool Silent { get; init; }

        public int Asked { get; private set; }

        public int Calls { get; private set; }

        public async Task<IReadOnlyList<SearchHit>> QueryAsync(string query, CancellationToken cancellationToken)
        {
            Calls++;
            if (Silent)
            {
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, cancellationToken);
            }

            if (Down)
            {
                throw new ReplicaUnavailableException(address, "connection refused");
            }

            if (Failure is not null)
            {
                throw Failure;
            }

            Asked++;
            return [new SearchHit(id, 0.5f, null, null, 0, 0, 0)];
        }
    }
}
