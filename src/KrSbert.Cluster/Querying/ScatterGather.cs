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

    /// <summary>A scatter over <paramref name="shardCount"/> shards whose replicas <paramref name="replicasOf"/> lists (as discovery sees them now).</summary>
    public ScatterGather(int shardCount, Func<int, CancellationToken, ValueTask<IReadOnlyList<IShardReplica<TQuery>>>> replicasOf)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentNullException.ThrowIfNull(replicasOf);
        (_shardCount, _replicasOf, _next) = (shardCount, replicasOf, new int[shardCount]);
    }

    /// <summary>The shards asked.</summary>
    public int ShardCount => _shardCount;

    /// <summary>The merged top <paramref name="topK"/> of every shard's answer to <paramref name="queryFor"/>'s query for it.</summary>
    /// <exception cref="ShardsUnavailableException">A shard had no replica that answered and <paramref name="allowPartial"/> is false.</exception>
    public async Task<MergedHits> QueryAsync(Func<int, TQuery> queryFor, int topK, bool allowPartial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queryFor);
        Task<ShardAnswer?>[] asks = [.. Enumerable.Range(0, _shardCount).Select(shard => AskShardAsync(shard, queryFor(shard), cancellationToken))];
        ShardAnswer?[] answers = await Task.WhenAll(asks).ConfigureAwait(false);
        int[] missing = [.. Enumerable.Range(0, _shardCount).Where(s => answers[s] is null)];
        if (missing.Length > 0 && !allowPartial)
        {
            throw new ShardsUnavailableException(missing, _shardCount);
        }

        return TopKMerge.Merge([.. answers.OfType<ShardAnswer>()], _shardCount, topK);
    }

    /// <summary>The shard's answer from the first replica that gives one, starting at the shard's turn; null when none did.</summary>
    private async Task<ShardAnswer?> AskShardAsync(int shard, TQuery query, CancellationToken cancellationToken)
    {
        IReadOnlyList<IShardReplica<TQuery>> replicas = await _replicasOf(shard, cancellationToken).ConfigureAwait(false);
        if (replicas.Count == 0)
        {
            return null;
        }

        int first = (int)((uint)Interlocked.Increment(ref _next[shard]) % (uint)replicas.Count);
        for (int i = 0; i < replicas.Count; i++)
        {
            IShardReplica<TQuery> replica = replicas[(first + i) % replicas.Count];
            try
            {
                IReadOnlyList<SearchHit> hits = await replica.QueryAsync(query, cancellationToken).ConfigureAwait(false);
                return new ShardAnswer(shard, hits);
            }
            catch (ReplicaUnavailableException)
            {
                // The next replica may answer; the caller's deadline bounds the tries through the token.
            }
        }

        return null;
    }
}
