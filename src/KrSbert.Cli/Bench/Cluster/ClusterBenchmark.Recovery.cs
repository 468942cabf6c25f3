using System.Diagnostics;
using System.Globalization;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Cli.Bench.Cluster;

/// <summary>The recovery row: a new replica of a one-shard collection restores the builder's snapshot and catches up with the log written after it.</summary>
internal sealed partial class ClusterBenchmark
{
    private const string RecoveryCollection = "bench-recovery";

    /// <summary>
    /// Writes the plan's vectors through a router (no replica yet, so nothing else competes), lets a builder publish
    /// the shard's snapshot, appends more rows, then starts a new replica and times it from start to ready, split
    /// into the phases the replica reports: snapshot restore (read, SHA-256 verified, put in place), the engine
    /// opening the restored store (index from its snapshot, or rebuilt), and the log catch-up.
    /// </summary>
    private async Task RecoveryAsync(BenchDatabases databases, CancellationToken cancellationToken)
    {
        int dimension = plan.RecoveryDimensions;
        string postgres = await databases.CreateAsync(cancellationToken).ConfigureAwait(false);
        string snapshots = Path.Combine(Path.GetTempPath(), "krsbert-bench-snapshots-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(snapshots);
        try
        {
            // The router must name the replica's address before the replica exists; the replica takes this port later.
            int replicaPort = LoopbackServer.FreePort();
            Dictionary<string, string?> routerSettings = LoopbackCluster.Settings("router", postgres, 1, plan.Model);
            routerSettings["KrSbert:Cluster:ShardAddresses:0"] = $"http://127.0.0.1:{replicaPort}";
            await using LoopbackServer router = await LoopbackServer.StartAsync(routerSettings, cancellationToken).ConfigureAwait(false);
            await new Collections.CollectionsClient(router.Channel).CreateAsync(new CreateCollectionRequest { Name = RecoveryCollection, Dimension = (uint)dimension }, cancellationToken: cancellationToken).ConfigureAwait(false);

            var random = new Random(5);
            long started = Stopwatch.GetTimestamp();
            await WriteVectorsAsync(router, random, 0, plan.RecoveryDocuments, dimension, cancellationToken).ConfigureAwait(false);
            double written = Stopwatch.GetElapsedTime(started).TotalSeconds;

            Dictionary<string, string?> builderSettings = LoopbackCluster.Settings("builder", postgres, 1, plan.Model);
            builderSettings["KrSbert:Cluster:SnapshotDirectory"] = snapshots;
            started = Stopwatch.GetTimestamp();
            await using (LoopbackServer builder = await LoopbackServer.StartAsync(builderSettings, cancellationToken).ConfigureAwait(false))
            {
                await builder.StoppedAsync(cancellationToken).ConfigureAwait(false);
            }

            double built = Stopwatch.GetElapsedTime(started).TotalSeconds;
            long snapshotBytes = Directory.EnumerateFiles(snapshots, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            string token = await WriteVectorsAsync(router, random, plan.RecoveryDocuments, plan.RecoveryAppended, dimension, cancellationToken).ConfigureAwait(false);

            Dictionary<string, string?> replicaSettings = LoopbackCluster.Settings("shard", postgres, 1, plan.Model);
            replicaSettings["KrSbert:Cluster:Shard"] = "0";
            replicaSettings["KrSbert:Cluster:SnapshotDirectory"] = snapshots;
            var log = new CapturedLog();
            await using LoopbackServer replica = LoopbackServer.Create(replicaSettings, replicaPort);
            replica.AttachLog(log);
            started = Stopwatch.GetTimestamp();
            await replica.StartAsync(cancellationToken).ConfigureAwait(false);
            double hostStarted = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await replica.OpenedAsync(cancellationToken).ConfigureAwait(false);
            double opened = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await replica.ServingAsync(TimeSpan.FromMinutes(60), cancellationToken).ConfigureAwait(false);
            double ready = Stopwatch.GetElapsedTime(started).TotalSeconds;

            // The replica serves everything written: the appended rows through the router (read-your-writes), and the count.
            var query = new QueryRequest { Collection = RecoveryCollection, TopK = 1, ConsistencyToken = token };
            query.Vector.AddRange(RandomVectors.Unit(random, dimension));
            await new SearchApi.SearchClient(router.Channel).QueryAsync(query, deadline: DateTime.UtcNow.AddMinutes(5), cancellationToken: cancellationToken).ConfigureAwait(false);
            CollectionInfo info = await new Collections.CollectionsClient(router.Channel).GetAsync(new GetCollectionRequest { Name = RecoveryCollection }, cancellationToken: cancellationToken).ConfigureAwait(false);
            long expected = (long)plan.RecoveryDocuments + plan.RecoveryAppended;
            if ((long)info.Documents != expected)
            {
                throw new InvalidOperationException($"the recovered replica holds {info.Documents} documents; {expected} were written.");
            }

            CapturedEvent restored = log.Named("SnapshotRestored") is [var first, ..] ? first
                : throw new InvalidOperationException($"the new replica restored no snapshot ({string.Join("; ", log.Named("SnapshotNotRestored").Select(e => e.Message).DefaultIfEmpty("the builder published none"))}).");
            CapturedEvent caughtUp = log.Named("ShardCaughtUp") is [var done, ..] ? done : throw new InvalidOperationException("the new replica reported no catch-up.");
            CapturedEvent? open = log.Named("CollectionOpened").FirstOrDefault(e => Equals(e.Values["Collection"], RecoveryCollection + "__v1"));
            string openedFrom = open is null ? "" : $", {open.Values["Source"]}, {open.Number("Replayed")} changes replayed";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"recovery setup: {plan.RecoveryDocuments} x {dimension} unit vectors written through the router in {written:F1} s ({plan.RecoveryDocuments / written:F0} docs/s), builder snapshot in {built:F1} s ({snapshotBytes / 1e6:F1} MB), then {plan.RecoveryAppended} rows appended"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"recovery {plan.RecoveryDocuments}x{dimension}: ready in {ready:F2} s = restore {restored.Number("Milliseconds") / 1000.0:F2} s (read, verify, put in place; host start {hostStarted:F2} s) + open {opened - hostStarted:F2} s (store and index{openedFrom}) + catch-up {ready - opened:F2} s ({caughtUp.Number("Rows")} log rows applied in {caughtUp.Number("Milliseconds") / 1000.0:F2} s)"));
        }
        finally
        {
            Directory.Delete(snapshots, recursive: true);
        }
    }

    /// <summary>Upserts <paramref name="count"/> vector-only documents from id <paramref name="first"/> through <paramref name="router"/>, in requests of about 1.5 MB; answers the last write's consistency token.</summary>
    private static async Task<string> WriteVectorsAsync(LoopbackServer router, Random random, int first, int count, int dimension, CancellationToken cancellationToken)
    {
        var documents = new Documents.DocumentsClient(router.Channel);
        int batch = Math.Clamp((3 << 19) / (dimension * 4), 1, 1000);
        string token = "";
        for (int start = first; start < first + count; start += batch)
        {
            var request = new UpsertRequest { Collection = RecoveryCollection };
            for (int i = start; i < Math.Min(start + batch, first + count); i++)
            {
                var document = new Document { Id = $"r{i}" };
                document.Vector.AddRange(RandomVectors.Unit(random, dimension));
                request.Documents.Add(document);
            }

            token = (await documents.UpsertAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false)).ConsistencyToken;
        }

        return token;
    }
}
