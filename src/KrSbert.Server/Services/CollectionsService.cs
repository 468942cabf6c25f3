using Grpc.Core;
using KrSbert.Protos.V1;
using KrSbert.Server.Hosting;
using KrSbert.Server.Mapping;
using KrSbert.Server.Options;

namespace KrSbert.Server.Services;

/// <summary><c>krsbert.v1.Collections</c>: create, get, list, delete, rebuild.</summary>
internal sealed class CollectionsService(EngineHost host, Cluster.ClusterNode node, IServiceProvider services) : Collections.CollectionsBase
{
    public override async Task<CollectionInfo> Create(CreateCollectionRequest request, ServerCallContext context)
    {
        if (node.Role == ClusterRole.Router)
        {
            return await services.GetRequiredService<Cluster.ClusterRouter>().CreateAsync(request, context.CancellationToken);
        }

        var engine = host.Engine;
        var definition = ProtoMapper.ToDefinition(request, engine.Embedder?.Model.Tokenizer.MaxSequenceLength ?? 128);
        var info = await engine.CreateCollectionAsync(definition, context.CancellationToken);
        host.CollectionChanged(info.Name, exists: true);
        return ProtoMapper.ToProto(info);
    }

    public override async Task<CollectionInfo> Get(GetCollectionRequest request, ServerCallContext context)
    {
        if (node.Role == ClusterRole.Router)
        {
            return await services.GetRequiredService<Cluster.ClusterRouter>().GetAsync(request.Name, context.Deadline, context.CancellationToken);
        }

        if (node.Role == ClusterRole.Shard)
        {
            // A replica catching up would undercount: the router asks another.
            await node.BeforeShardQueryAsync(request.Name, null, context.Deadline, context.CancellationToken);
        }

        return ProtoMapper.ToProto(host.Engine.GetCollection(request.Name));
    }

    public override async Task<ListCollectionsResponse> List(ListCollectionsRequest request, ServerCallContext context)
    {
        if (node.Role == ClusterRole.Router)
        {
            return await services.GetRequiredService<Cluster.ClusterRouter>().ListAsync(context.Deadline, context.CancellationToken);
        }

        var response = new ListCollectionsResponse();
        response.Collections.AddRange(host.Engine.ListCollections().Select(ProtoMapper.ToProto));
        return response;
    }

    public override async Task<DeleteCollectionResponse> Delete(DeleteCollectionRequest request, ServerCallContext context)
    {
        if (node.Role == ClusterRole.Router)
        {
            return await services.GetRequiredService<Cluster.ClusterRouter>().DeleteCollectionAsync(request.Name, context.CancellationToken);
        }

        bool deleted = await host.Engine.DeleteCollectionAsync(request.Name, context.CancellationToken);
        if (!deleted)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Collection '{request.Name}' does not exist."));
        }

        host.CollectionChanged(request.Name, exists: false);
        return new DeleteCollectionResponse { Deleted = true };
    }

    public override async Task<CollectionInfo> Rebuild(RebuildCollectionRequest request, ServerCallContext context)
    {
        var info = await host.Engine.RebuildIndexAsync(request.Name, cancellationToken: context.CancellationToken);
        host.CollectionChanged(info.Name, exists: true);
        return ProtoMapper.ToProto(info);
    }
}
