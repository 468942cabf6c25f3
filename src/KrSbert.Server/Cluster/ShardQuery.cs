using Grpc.Core;
using KrSbert.Protos.V1;

namespace KrSbert.Server.Cluster;

/// <summary>A query as the router sends it to one shard's replica: the request (vector already embedded), the caller's deadline and the key shards expect.</summary>
internal sealed record ShardQuery(QueryRequest Request, DateTime? Deadline, Metadata Headers);
