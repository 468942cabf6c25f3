using System.Diagnostics;
using Grpc.Core;
using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.Consistency;
using KrSbert.Cluster.Querying;
using KrSbert.Cluster.WriteLog;
using KrSbert.Cluster.Writing;
using KrSbert.Protos.V1;
using KrSbert.Search.Documents;
using KrSbert.Search.Querying;
using KrSbert.Server.Hosting;
using KrSbert.Server.Mapping;
using KrSbert.Server.Options;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;
using Microsoft.Extensions.Options;
using Npgsql;

namespace KrSbert.Server.Cluster;

/// <summary>
/// The router role's RPCs: a write is embedded here once and appended to the shards' logs (acknowledged after the
/// commit, answered with a consistency token); a query is embedded once, sent to one replica per shard and merged.
/// The logic lives in KrSbert.Cluster; this maps it onto the protos and gRPC status codes.
/// </summary>
internal sealed partial class ClusterRouter(ClusterNode node, EngineHost host, ShardReplicaDirectory replicas, IOptions<ClusterOptions> cluster, IOptions<ServerOptions> server)
{
    // One per shard count: a rebuilt version may split the collection differently.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, ScatterGather<ShardQuery>> _scatter = new();

    /// <summary>
    /// The first version of a new collection over <see cref="ClusterOptions.ShardCount"/> shards, made to serve:
    /// version 1, or one past the versions of a collection of that name deleted before.
    /// </summary>
    public async Task<Protos.V1.CollectionInfo> CreateAsync(CreateCollectionRequest request, CancellationToken cancellationToken)
    {
        // The name is checked before PostgreSQL is asked anything.
        _ = new CollectionVersion(request.Name, 1, cluster.Value.ShardCount);
        AliasTable aliases = await Unavailable(() => node.Aliases.RefreshAsync(cancellationToken)).ConfigureAwait(false);
        if (aliases.Find(request.Name) is not null)
        {
            throw new CollectionExistsException(request.Name);
        }

        long first = await Unavailable(async () => await (await node.OpenLogAsync(cancellationToken).ConfigureAwait(false)).FirstFreeVersionAsync(request.Name, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        var version = new CollectionVersion(request.Name, first, cluster.Value.ShardCount);

        var engine = host.Engine;
        var definition = ProtoMapper.ToDefinition(request, engine.Embedder?.Model.Tokenizer.MaxSequenceLength ?? 128) with { Name = version.StoreName };
        KrSbert.Search.Collections.CollectionInfo? existing = engine.ListCollections().FirstOrDefault(c => c.Name == version.StoreName);
        var info = existing ?? await engine.CreateCollectionAsync(definition, cancellationToken).ConfigureAwait(false);
        try
        {
            await Unavailable(async () =>
            {
                PostgresWriteLog log = await node.OpenLogAsync(cancellationToken).ConfigureAwait(false);
                // Only when no version serves: a create racing this one (through another router) wins or loses whole.
                await log.CreateAliasAsync(version, info.Record.Settings, cancellationToken).ConfigureAwait(false);
                // This router's reads find the collection at once, not at the next refresh.
                await node.Aliases.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CollectionExistsException or VersionConflictException)
        {
            // The local collection made for the lost create may hold other settings than the winner's; made again from
            // the recorded ones when first needed.
            if (existing is null)
            {
                await engine.DeleteCollectionAsync(version.StoreName, cancellationToken).ConfigureAwait(false);
            }

            if (e is VersionConflictException)
            {
                throw new RpcException(new Status(StatusCode.Aborted, $"Collection '{request.Name}' was made and deleted while this create ran; retry the create. ({e.Message})"));
            }

            throw;
        }

        Protos.V1.CollectionInfo proto = ProtoMapper.ToProto(info);
        proto.Name = request.Name;
        return proto;
    }

    /// <summary>
    /// Deletes a collection from PostgreSQL (its alias, staged versions, settings, snapshot registrations and log),
    /// so reads and writes through this router answer NOT_FOUND at once and through other routers from their next
    /// alias refresh; shard replicas drop their stores of it when they next read the aliases, and this router its
    /// local collection that embedded for it.
    /// </summary>
    public async Task<DeleteCollectionResponse> DeleteCollectionAsync(string collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        bool deleted = await Unavailable(async () =>
        {
            PostgresWriteLog log = await node.OpenLogAsync(cancellationToken).ConfigureAwait(false);
            return await log.DeleteCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        if (!deleted)
        {
            throw new CollectionNotFoundException(collection);
        }

        // Committed: a failed refresh must not answer UNAVAILABLE for it, nor leave this router's copy serving it.
        node.Aliases.Forget(collection);

        foreach (string local in host.Engine.ListCollections().Select(c => c.Name).ToList())
        {
            if (CollectionVersion.TryParseStoreName(local, out string name, out _) && name == collection)
            {
                await host.Engine.DeleteCollectionAsync(local, cancellationToken).ConfigureAwait(false);
            }
        }

        return new DeleteCollectionResponse { Deleted = true };
    }

    /// <summary>
    /// A serving collection: its name and the settings it was created with, as PostgreSQL records them (the
    /// router's local collection is made from them), and its documents, chunks and indexed vectors summed over
    /// one replica of every shard.
    /// </summary>
    public async Task<Protos.V1.CollectionInfo> GetAsync(string collection, DateTime deadline, CancellationToken cancellationToken)
    {
        return await ReadAsync(collection, 0, version => DescribedAsync(version, deadline, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every serving collection, as <see cref="GetAsync"/> describes each.</summary>
    public async Task<ListCollectionsResponse> ListAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        AliasTable aliases = await Unavailable(() => node.Aliases.TableAsync(cancellationToken)).ConfigureAwait(false);
        var response = new ListCollectionsResponse();
        foreach (string collection in aliases.Collections)
        {
            CollectionVersion version = aliases.Resolve(collection);
            await EnsureLocalAsync(version, cancellationToken).ConfigureAwait(false);
            response.Collections.Add(await DescribedAsync(version, deadline, cancellationToken).ConfigureAwait(false));
        }

        return response;
    }

    private async Task<Protos.V1.CollectionInfo> DescribedAsync(CollectionVersion version, DateTime deadline, CancellationToken cancellationToken)
    {
        Metadata headers = Headers();
        DateTime? callDeadline = deadline == DateTime.MaxValue ? null : deadline;
        Protos.V1.CollectionInfo[] parts = await Task.WhenAll(Enumerable.Range(0, version.Shards.ShardCount).Select(shard => AskShardAsync(
            shard,
            replica => replica.GetCollectionAsync(version.StoreName, headers, callDeadline, cancellationToken),
            $"collection '{version.Collection}' cannot be counted now",
            cancellationToken))).ConfigureAwait(false);

        Protos.V1.CollectionInfo proto = ProtoMapper.ToProto(host.Engine.GetCollection(version.StoreName));
        proto.Name = version.Collection;
        proto.Documents = (ulong)parts.Sum(p => (long)p.Documents);
        proto.Chunks = (ulong)parts.Sum(p => (long)p.Chunks);
        proto.IndexedVectors = (ulong)parts.Sum(p => (long)p.IndexedVectors);
        // Sequences and snapshots are per shard; the consistency token carries them.
        proto.Sequence = 0;
        proto.SnapshotSequence = 0;
        proto.SnapshotAt = null;
        return proto;
    }

    public async Task<UpsertResponse> UpsertAsync(UpsertRequest request, CancellationToken cancellationToken)
    {
        CollectionVersion version = await ResolveForWriteAsync(request.Collection, cancellationToken).ConfigureAwait(false);
        PreparedUpsert prepared = await host.Engine.PrepareUpsertAsync(version.StoreName, [.. request.Documents.Select(ProtoMapper.ToInput)], allOrNothing: true, cancellationToken).ConfigureAwait(false);
        List<LogEntry> entries = LogEntries(prepared);
        ConsistencyToken token = await AppendAsync(version, entries, cancellationToken).ConfigureAwait(false);
        var response = new UpsertResponse { ConsistencyToken = token.Encode() };
        response.Ids.AddRange(entries.Select(e => e.DocumentId));
        return response;
    }

    /// <summary>
    /// A streamed ingest: the stream is cut into batches, each embedded here and appended to the shards' logs as an
    /// upsert is; a document refused while preparing is reported with its position in the stream and the rest go on.
    /// The token covers every batch appended.
    /// </summary>
    public async Task<IngestResponse> IngestAsync(string collection, IAsyncEnumerable<DocumentInput> documents, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CollectionVersion version = await ResolveForWriteAsync(collection, cancellationToken).ConfigureAwait(false);
        var response = new IngestResponse();
        ConsistencyToken? written = null;
        long received = 0;
        var batch = new List<DocumentInput>(batchSize);
        async Task AppendBatchAsync()
        {
            PreparedUpsert prepared = await host.Engine.PrepareUpsertAsync(version.StoreName, batch, allOrNothing: false, cancellationToken).ConfigureAwait(false);
            long offset = received - batch.Count;
            response.Failures.AddRange(prepared.Failures.Select(f => new DocumentError { Index = (ulong)(offset + f.Index), Id = f.Id ?? "", Field = f.Field, Reason = f.Reason }));
            List<LogEntry> entries = LogEntries(prepared);
            if (entries.Count > 0)
            {
                ConsistencyToken token;
                try
                {
                    token = await AppendAsync(version, entries, cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException e) when (written is not null)
                {
                    // The batches appended before keep their rows: the token that reads them goes back with the error too.
                    ConsistencyToken committed = e.Trailers.GetValue("krsbert-consistency-token") is { } part ? written.Merge(ConsistencyToken.Parse(part)) : written;
                    throw new RpcException(e.Status, new Metadata { { "krsbert-consistency-token", committed.Encode() } });
                }

                written = written is null ? token : written.Merge(token);
                response.Stored += (ulong)entries.Count;
            }

            batch.Clear();
        }

        await foreach (DocumentInput document in documents.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            batch.Add(document);
            received++;
            if (batch.Count == batchSize)
            {
                await AppendBatchAsync().ConfigureAwait(false);
            }
        }

        if (batch.Count > 0)
        {
            await AppendBatchAsync().ConfigureAwait(false);
        }

        response.Received = (ulong)received;
        if (written is not null)
        {
            response.ConsistencyToken = written.Encode();
        }

        return response;
    }

    /// <summary>
    /// A delete by ids (a tombstone logged per id, whether or not the document exists) or by filter
    /// (<see cref="DeleteByFilterAsync"/>), answered after the commit with the token that reads it.
    /// </summary>
    public async Task<DeleteDocumentsResponse> DeleteAsync(DeleteDocumentsRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        bool byFilter = request.Filter is { Must.Count: > 0 };
        if (byFilter == request.Ids.Count > 0)
        {
            throw new ArgumentException("give ids or filter, one of the two.", nameof(request));
        }

        if (byFilter)
        {
            return await DeleteByFilterAsync(request, deadline, cancellationToken).ConfigureAwait(false);
        }

        CollectionVersion version = await ResolveForWriteAsync(request.Collection, cancellationToken).ConfigureAwait(false);
        List<LogEntry> entries = [.. request.Ids.Select(LogEntry.Delete)];
        ConsistencyToken token = await AppendAsync(version, entries, cancellationToken).ConfigureAwait(false);
        return new DeleteDocumentsResponse { Deleted = (ulong)entries.Count, ConsistencyToken = token.Encode() };
    }

    public Task<QueryResponse> QueryAsync(QueryRequest request, ServerCallContext context) =>
        QueryAsync(request, context.Deadline, context.CancellationToken);

    /// <summary>
    /// The stored documents with <paramref name="request"/>'s ids: each id is asked of its own shard (by the shard
    /// map), one replica per shard, the next one when a replica is unavailable. Ids no shard holds are left out, as
    /// on a single node; the rest come back in the order asked.
    /// </summary>
    public Task<GetDocumentsResponse> GetDocumentsAsync(GetDocumentsRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        ReadAsync(request.Collection, 0, version => GetDocumentsAsync(request, version, deadline, cancellationToken), cancellationToken);

    private async Task<GetDocumentsResponse> GetDocumentsAsync(GetDocumentsRequest request, CollectionVersion version, DateTime deadline, CancellationToken cancellationToken)
    {
        Metadata headers = Headers();
        DateTime? callDeadline = deadline == DateTime.MaxValue ? null : deadline;
        var found = new Dictionary<string, Protos.V1.StoredDocument>(StringComparer.Ordinal);
        Task<GetDocumentsResponse>[] asks = [.. request.Ids.Distinct(StringComparer.Ordinal).GroupBy(version.Shards.ShardOf).Select(ids =>
        {
            var forward = new GetDocumentsRequest { Collection = version.StoreName, IncludeVectors = request.IncludeVectors };
            forward.Ids.AddRange(ids);
            return AskShardAsync(ids.Key, replica => replica.GetDocumentsAsync(forward, headers, callDeadline, cancellationToken), "the documents on it cannot be read now", cancellationToken);
        })];
        foreach (GetDocumentsResponse answer in await Task.WhenAll(asks).ConfigureAwait(false))
        {
            foreach (Protos.V1.StoredDocument document in answer.Documents)
            {
                found[document.Id] = document;
            }
        }

        var response = new GetDocumentsResponse();
        response.Documents.AddRange(request.Ids.Distinct(StringComparer.Ordinal).Where(found.ContainsKey).Select(id => found[id]));
        return response;
    }

    /// <summary>A query routed alone: embedded once here, asked of one replica per shard within <paramref name="deadline"/>, merged.</summary>
    public async Task<QueryResponse> QueryAsync(QueryRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        // A token from a write after an alias flip names a version this router's copy may not know yet: it reads through.
        long tokenVersion = request.HasConsistencyToken ? ConsistencyToken.Parse(request.ConsistencyToken).Version : 0;
        return await ReadAsync(request.Collection, tokenVersion, version => QueryVersionAsync(request, version, tokenVersion, started, deadline, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task<QueryResponse> QueryVersionAsync(QueryRequest request, CollectionVersion version, long tokenVersion, long started, DateTime deadline, CancellationToken cancellationToken)
    {
        if (request.HasConsistencyToken && tokenVersion != version.Version)
        {
            throw new ArgumentException($"consistency_token is for version {tokenVersion} of '{request.Collection}'; version {version.Version} serves now.", nameof(request));
        }

        SearchRequest checkedRequest = ProtoMapper.ToSearch(request);
        QueryRequest forward = request.Clone();
        forward.Collection = version.StoreName;
        forward.AllowPartial = false;
        TimeSpan embedding = TimeSpan.Zero;
        if (checkedRequest.Vector is null && checkedRequest.Text is { } text && checkedRequest.Mode != QueryMode.Lexical)
        {
            // Embedded once here, by the engine's own check and pooling for the version's settings; the shards only search.
            long embedStarted = Stopwatch.GetTimestamp();
            float[] embedded = await host.Engine.EmbedQueryAsync(version.StoreName, text, cancellationToken).ConfigureAwait(false);
            embedding = Stopwatch.GetElapsedTime(embedStarted);
            forward.Vector.Add(embedded);
            if (checkedRequest.Mode == QueryMode.Dense)
            {
                forward.Text = "";
            }
        }

        var query = new ShardQuery(forward, deadline == DateTime.MaxValue ? null : deadline, Headers());
        long searchStarted = Stopwatch.GetTimestamp();
        MergedHits merged;
        try
        {
            merged = await _scatter.GetOrAdd(version.Shards.ShardCount, count => new(count, replicas.ReplicasAsync)).QueryAsync(_ => query, checkedRequest.TopK, request.AllowPartial, cancellationToken, query.Deadline).ConfigureAwait(false);
        }
        catch (ShardsUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }

        QueryResponse response = ProtoMapper.ToProto(new SearchResult(merged.Hits, embedding, Stopwatch.GetElapsedTime(searchStarted), Stopwatch.GetElapsedTime(started)));
        response.Coverage = merged.Coverage.Fraction;
        return response;
    }

    /// <summary>The prepared documents as log rows, with the chunks' token ids and vectors, so replicas never re-embed.</summary>
    private List<LogEntry> LogEntries(PreparedUpsert prepared)
    {
        string model = host.Embedder.Model.Name;
        return [.. prepared.Documents.Cast<DocumentWrite.Upsert>().Select(d => LogEntry.Upsert(
            d.Id,
            d.Text,
            d.Metadata,
            d.Chunks.All(c => c.TokenIds.Length == 0) ? null : model,
            [.. d.Chunks.Select(c => new LogChunk(c.Start, c.End, c.TokenIds, c.Vector))]))];
    }

    /// <summary>The key shards expect, when the cluster has one.</summary>
    private Metadata Headers()
    {
        var headers = new Metadata();
        if (server.Value.ApiKey is { Length: > 0 } key)
        {
            headers.Add("x-api-key", key);
        }

        return headers;
    }

    /// <summary>
    /// The serving version for a read, from the router's alias copy (read through for a name it lacks or a version
    /// older than <paramref name="minimumVersion"/>), so reads go on while PostgreSQL is down.
    /// </summary>
    private async Task<CollectionVersion> ResolveForReadAsync(string collection, long minimumVersion, CancellationToken cancellationToken)
    {
        CollectionVersion version = await Unavailable(() => node.Aliases.ResolveAsync(collection, minimumVersion, cancellationToken)).ConfigureAwait(false);
        await EnsureLocalAsync(version, cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <summary>
    /// The serving version for a write, read from PostgreSQL now: a write appends there anyway, and an alias read
    /// per write keeps writes off a version a flip retired. One that resolved it just before the flip is refused by
    /// the log (<see cref="VersionNotWritableException"/>) and answered ABORTED, to be retried.
    /// </summary>
    private async Task<CollectionVersion> ResolveForWriteAsync(string collection, CancellationToken cancellationToken)
    {
        AliasTable aliases = await Unavailable(() => node.Aliases.RefreshAsync(cancellationToken)).ConfigureAwait(false);
        CollectionVersion version = aliases.Resolve(collection);
        await EnsureLocalAsync(version, cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <summary>
    /// The local collection that embeds for <paramref name="version"/>, made from its recorded settings when this
    /// router lacks it (made to serve through another router a moment ago); PostgreSQL is read only then.
    /// </summary>
    private async Task EnsureLocalAsync(CollectionVersion version, CancellationToken cancellationToken)
    {
        if (host.Engine.ListCollections().Any(c => c.Name == version.StoreName))
        {
            return;
        }

        await Unavailable(async () => await LocalVersions.EnsureAsync(host.Engine, await node.OpenLogAsync(cancellationToken).ConfigureAwait(false), version, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>One replica of <paramref name="shard"/>'s answer to a read: the next replica when one is unavailable, UNAVAILABLE (saying <paramref name="unanswered"/>) when none answers.</summary>
    private async Task<T> AskShardAsync<T>(int shard, Func<GrpcShardReplica, Task<T>> ask, string unanswered, CancellationToken cancellationToken)
    {
        foreach (IShardReplica<ShardQuery> replica in await replicas.ReplicasAsync(shard, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                return await ask((GrpcShardReplica)replica).ConfigureAwait(false);
            }
            catch (ReplicaUnavailableException)
            {
                // The next replica of the shard may answer.
            }
        }

        throw new RpcException(new Status(StatusCode.Unavailable, $"No replica of shard {shard} answered; {unanswered}."));
    }

    private async Task<ConsistencyToken> AppendAsync(CollectionVersion version, IReadOnlyList<LogEntry> entries, CancellationToken cancellationToken)
    {
        try
        {
            PostgresWriteLog log = await Unavailable(() => node.OpenLogAsync(cancellationToken)).ConfigureAwait(false);
            return await new ShardedLogWriter(log).AppendAsync(version, entries, cancellationToken).ConfigureAwait(false);
        }
        catch (ShardWriteException e)
        {
            // The shards that committed keep their part: the token reads it back, and a retry of the whole request converges.
            var trailers = new Metadata { { "krsbert-consistency-token", e.Committed.Encode() } };
            Status status = e.InnerException is VersionNotWritableException refused
                ? new Status(StatusCode.Aborted, $"The version of collection '{refused.Collection}' changed while this write ran (a rebuild flipped it, or the collection was deleted); retry the request. ({e.Message})")
                : new Status(StatusCode.Unavailable, e.Message);
            throw new RpcException(status, trailers);
        }
    }

    /// <summary>PostgreSQL unreachable is UNAVAILABLE: the write log is down, not the request wrong.</summary>
    private static async Task<T> Unavailable<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"The write log's PostgreSQL is unreachable: {e.Message}"));
        }
    }

    private static async Task<bool> Unavailable(Func<Task> action) => await Unavailable(async () =>
    {
        await action().ConfigureAwait(false);
        return true;
    }).ConfigureAwait(false);
}
