using Grpc.Core;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.WriteLog;
using KrSbert.Protos.V1;
using KrSbert.Server.Mapping;

namespace KrSbert.Server.Cluster;

internal sealed partial class ClusterRouter
{
    /// <summary>
    /// A page of the ids matching a filter over every shard: each shard's page (one replica each, after the token
    /// the request carries), merged in ordinal order and cut to <paramref name="limit"/>.
    /// </summary>
    public async Task<ListIdsResponse> ListIdsAsync(ListIdsRequest request, int limit, DateTime deadline, CancellationToken cancellationToken)
    {
        ProtoMapper.ToFilter(request.Filter).Validate();
        long tokenVersion = request.HasConsistencyToken ? ConsistencyToken.Parse(request.ConsistencyToken).Version : 0;
        return await ReadAsync(request.Collection, tokenVersion, version => ListIdsAsync(request, version, tokenVersion, limit, deadline, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task<ListIdsResponse> ListIdsAsync(ListIdsRequest request, CollectionVersion version, long tokenVersion, int limit, DateTime deadline, CancellationToken cancellationToken)
    {
        if (request.HasConsistencyToken && tokenVersion != version.Version)
        {
            throw new ArgumentException($"consistency_token is for version {tokenVersion} of '{request.Collection}'; version {version.Version} serves now.", nameof(request));
        }

        var forward = request.Clone();
        forward.Collection = version.StoreName;
        forward.Limit = (uint)limit;
        Metadata headers = Headers();
        DateTime? callDeadline = deadline == DateTime.MaxValue ? null : deadline;
        ListIdsResponse[] pages = await Task.WhenAll(Enumerable.Range(0, version.Shards.ShardCount).Select(shard => AskShardAsync(
            shard,
            replica => replica.ListIdsAsync(forward, headers, callDeadline, cancellationToken),
            "its ids cannot be listed now",
            cancellationToken))).ConfigureAwait(false);
        var response = new ListIdsResponse();
        response.Ids.AddRange(pages.SelectMany(p => p.Ids).Order(StringComparer.Ordinal).Take(limit));
        return response;
    }

    /// <summary>
    /// Deletes the documents matching a filter, as a single node's delete by filter does, through the log: reads
    /// each shard's head, lists the matching ids from one replica per shard once it has applied that head (so every
    /// write acknowledged before this call is seen), and logs a tombstone for each. Answers how many it logged and
    /// the token that reads the delete. A document written while the call runs may survive it: it is matched
    /// against the shard as of the head read at the start, page by page, not atomically.
    /// </summary>
    private async Task<DeleteDocumentsResponse> DeleteByFilterAsync(DeleteDocumentsRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        // Checked before anything is read, as a single node does.
        ProtoMapper.ToFilter(request.Filter).Validate();
        CollectionVersion version = await ResolveForWriteAsync(request.Collection, cancellationToken).ConfigureAwait(false);
        PostgresWriteLog log = await Unavailable(() => node.OpenLogAsync(cancellationToken)).ConfigureAwait(false);
        long[] heads = await Unavailable(() => Task.WhenAll(Enumerable.Range(0, version.Shards.ShardCount).Select(shard => log.HeadAsync(version, shard, cancellationToken)))).ConfigureAwait(false);
        var seen = new ConsistencyToken(version.Version, heads.Select((head, shard) => new KeyValuePair<int, long>(shard, head)));

        Metadata headers = Headers();
        DateTime? callDeadline = deadline == DateTime.MaxValue ? null : deadline;
        int page = server.Value.Limits.MaxDocumentsPerRequest;
        ConsistencyToken written = seen;
        ulong deleted = 0;
        try
        {
            for (int shard = 0; shard < version.Shards.ShardCount; shard++)
            {
                var ask = new ListIdsRequest { Collection = version.StoreName, Filter = request.Filter, Limit = (uint)page, ConsistencyToken = seen.Encode() };
                while (true)
                {
                    ListIdsResponse ids = await AskShardAsync(shard, replica => replica.ListIdsAsync(ask, headers, callDeadline, cancellationToken), "the documents on it cannot be matched now", cancellationToken).ConfigureAwait(false);
                    if (ids.Ids.Count > 0)
                    {
                        written = written.Merge(await AppendAsync(version, [.. ids.Ids.Select(LogEntry.Delete)], cancellationToken).ConfigureAwait(false));
                        deleted += (ulong)ids.Ids.Count;
                        ask.After = ids.Ids[^1];
                    }

                    if (ids.Ids.Count < page)
                    {
                        break;
                    }
                }
            }
        }
        catch (RpcException e) when (deleted > 0)
        {
            // Some tombstones are committed: the token that reads them goes back with the error, as for a write that failed part way.
            ConsistencyToken committed = e.Trailers.GetValue("krsbert-consistency-token") is { } part ? written.Merge(ConsistencyToken.Parse(part)) : written;
            throw new RpcException(e.Status, new Metadata { { "krsbert-consistency-token", committed.Encode() } });
        }

        return new DeleteDocumentsResponse { Deleted = deleted, ConsistencyToken = written.Encode() };
    }
}
