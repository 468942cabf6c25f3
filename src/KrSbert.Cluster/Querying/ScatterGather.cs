using System.Collections.Concurrent;
using KrSbert.Search.Querying;

namespace KrSbert.Cluster.Querying;

/// <summary>
/// The router's read path after embedding: asks one replica of every shard at once, rotating over each shard's
/// replicas (round robin) and moving to the next replica when one is unavailable, then merges the answers with
/// <see cref="TopKMerge"/>. A shard none of whose replicas answered is left out when partial results are allowed,
/// and fails the query otherwise.
/// </summary>
/// <typeparam name="TQuery">The query as the transport carries it.</typeparam>
public sealed class ScatterGather<TQuery>
{
    private readonly Func<int, CancellationToken, ValueTask<IReadOnlyList<IShardReplica<TQuery>>>> _replicasOf;
    private readonly int _shardCount;
    private readonly int[] _next;
    // When each replica last failed (unreachable, or silent past its share of the deadline): asked last for a while.
    private readonly ConcurrentDictionary<IShardReplica<TQuery>, DateTime> _failedAt = new(ReferenceEqualityComparer.Instance);

    /// <summary>A scatter over <paramref name="shardCount"/> shards whose replicas <paramref name="replicasOf"/> lists (as discovery sees them now).</summary>
    public ScatterGather(int shardCount, Func<int, CancellationToken, ValueTask<IReadOnlyList<IShardReplica<TQuery>>>> replicasOf)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentNullException.ThrowIfNull(replicasOf);
        (_shardCount, _replicasOf, _next) = (shardCount, replicasOf, new int[shardCount]);
    }

    /// <summary>
    /// How long a replica that failed is asked after the shard's others: a partitioned replica (its packets dropped,
    /// so every call to it waits out its share of the deadline) costs one query a wait, not every other query.
    /// </summary>
    public TimeSpan PassOver { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The shards asked.</summary>
    public int ShardCount => _shardCount;

    /// <summary>The merged top <paramref name="topK"/> of every shard's answer to <paramref name="queryFor"/>'s query for it.</summary>
    /// <param name="queryFor">The query for each shard.</param>
    /// <param name="topK">The hits kept after the merge.</param>
    /// <param name="allowPartial">Whether a shard no replica answered is left out (see coverage) instead of failing the query.</param>
    /// <param name="cancellationToken">The caller's cancellation (its deadline).</param>
    /// <param name="deadline">
    /// The caller's deadline (UTC). A replica that has not answered within its share of the time left (the time left
    /// divided by the replicas still to try) is given up for the next: a replica cut off by a network partition
    /// never answers nor fails, and the query must still be answered in time.
    /// </param>
    /// <exception cref="ShardsUnavailableException">A shard had no replica that answered and <paramref name="allowPartial"/> is false.</exception>
    public async Task<MergedHits> QueryAsync(Func<int, TQuery> queryFor, int topK, bool allowPartial, CancellationToken cancellationToken, DateTime? deadline = null)
    {
        ArgumentNullException.ThrowIfNull(queryFor);
        Task<ShardAnswer?>[] asks = [.. Enumerable.Range(0, _shardCount).Select(shard => AskShardAsync(shard, queryFor(shard), deadline, cancellationToken))];
        ShardAnswer?[] answers = await Task.WhenAll(asks).ConfigureAwait(false);
        int[] missing = [.. Enumerable.Range(0, _shardCount).Where(s => answers[s] is null)];
        if (missing.Length > 0 && !allowPartial)
        {
            throw new ShardsUnavailableException(missing, _shardCount);
        }

        return TopKMerge.Merge([.. answers.OfType<ShardAnswer>()], _shardCount, topK);
    }

    /// <summary>The shard's answer from the first replica that gives one, starting at the shard's turn; null when none did.</summary>
    private async Task<ShardAnswer?> AskShardAsync(int shard, TQuery query, DateTime? deadline, CancellationToken cancellationToken)
    {
        IReadOnlyList<IShardReplica<TQuery>> replicas = await _replicasOf(shard, cancellationToken).ConfigureAwait(false);
        if (replicas.Count == 0)
        {
            return null;
        }

        int first = (int)((uint)Interlocked.Increment(ref _next[shard]) % (uint)replicas.Count);
        DateTime now = DateTime.UtcNow;
        // In turn from this query's first pick, the replicas that failed a moment ago last.
        List<IShardReplica<TQuery>> order = [.. Enumerable.Range(0, replicas.Count).Select(i => replicas[(first + i) % replicas.Count])
            .OrderBy(r => _failedAt.TryGetValue(r, out DateTime failed) && now - failed < PassOver)];
        for (int i = 0; i < order.Count; i++)
        {
            IShardReplica<TQuery> replica = order[i];
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (deadline is { } until && i < order.Count - 1)
            {
                TimeSpan left = until - DateTime.UtcNow;
                attempt.CancelAfter(left > TimeSpan.Zero ? left / (order.Count - i) : TimeSpan.Zero);
            }

            try
            {
                IReadOnlyList<SearchHit> hits = await replica.QueryAsync(query, attempt.Token).ConfigureAwait(false);
                _failedAt.TryRemove(replica, out _);
                return new ShardAnswer(shard, hits);
            }
            catch (ReplicaUnavailableException)
            {
                // The next replica may answer; the caller's deadline bounds the tries through the token.
                _failedAt[replica] = DateTime.UtcNow;
            }
            catch (Exception) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Silent past its share of the deadline (partitioned, or stalled): the next replica gets the rest.
                _failedAt[replica] = DateTime.UtcNow;
            }
        }

        return null;
    }
}
