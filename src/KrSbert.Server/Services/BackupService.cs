using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KrSbert.Protos.V1;
using KrSbert.Server.Hosting;
using KrSbert.Storage.Backups;

namespace KrSbert.Server.Services;

/// <summary><c>krsbert.v1.Backups</c>: streams a consistent copy of the database while the server keeps serving.</summary>
internal sealed class BackupService(EngineHost host) : Backups.BackupsBase
{
    public override async Task Backup(BackupRequest request, IServerStreamWriter<BackupChunk> responseStream, ServerCallContext context)
    {
        StoreBackup backup = await host.Engine.Store.BackupAsync(
            (data, cancellationToken) => new ValueTask(responseStream.WriteAsync(new BackupChunk { Data = ByteString.CopyFrom(data.Span) }, cancellationToken)),
            context.CancellationToken);
        var summary = new BackupSummary { Size = (ulong)backup.Length, Sha256 = backup.Sha256, TakenAt = Timestamp.FromDateTime(backup.TakenAt) };
        summary.Collections.AddRange(backup.Collections.Select(c => new BackupCollection
        {
            Name = c.Name,
            Sequence = (ulong)c.Sequence,
            Documents = (ulong)c.DocumentCount,
            Chunks = (ulong)c.ChunkCount,
        }));
        await responseStream.WriteAsync(new BackupChunk { Summary = summary }, context.CancellationToken);
    }
}
