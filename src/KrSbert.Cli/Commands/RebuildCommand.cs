using System.CommandLine;
using KrSbert.Cli.Output;
using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Storage;
using KrSbert.Storage.Collections;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert rebuild</c>: rebuilds collection indexes offline from stored vectors, or re-embeds every text
/// with another model or pooling, into a new generation published atomically.
/// </summary>
internal static class RebuildCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var data = new Option<string?>("--data", "-d") { Description = "Data folder (holds krsbert.db) to rebuild offline, with the server stopped" };
        var server = new ServerArguments();
        var collection = new Option<string?>("--collection", "-c") { Description = "Only this collection (default: all)" };
        var reembed = new Option<bool>("--reembed") { Description = "Re-embed every text with --model and --pooling instead of reusing stored vectors" };
        var command = new Command("rebuild", "Rebuild indexes: offline with --data (the server stopped), or one collection online with --server") { data, collection, reembed };
        model.AddTo(command, embedding: true);
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            bool reembedding = result.GetValue(reembed);
            if (server.IsGiven(result) == result.GetValue(data) is not null)
            {
                return CommandRunner.Fail(ExitCodes.BadInput, "give --data DIR (offline, server stopped) or --server ADDRESS --collection NAME (online), one of the two");
            }

            if (server.IsGiven(result))
            {
                return reembedding
                    ? CommandRunner.Fail(ExitCodes.BadInput, "--reembed runs offline only: stop the server and use --data DIR")
                    : await RebuildOnlineAsync(server, result, result.GetValue(collection), cancellationToken);
            }

            PoolingMode? pooling = result.GetValue(model.Pooling) is { } p ? PoolingModes.Parse(p) : null;
            using var loggers = model.Loggers(result);
            using SentenceEmbedder? embedder = reembedding ? model.Load(result, loggers) : null;
            await using SearchEngine engine = await OpenAsync(result.GetValue(data)!, embedder, loggers, cancellationToken);
            string? only = result.GetValue(collection);
            var targets = engine.ListCollections().Where(c => only is null || c.Name == only).ToList();
            if (only is not null && targets.Count == 0)
            {
                return CommandRunner.Fail(ExitCodes.NotFound, $"collection '{only}' does not exist");
            }

            foreach (CollectionInfo target in targets)
            {
                if (reembedding)
                {
                    var bar = new ProgressBar($"re-embed {target.Name}", target.Record.DocumentCount, "docs");
                    var done = await engine.ReembedCollectionAsync(target.Name, SearchEngine.DefinitionOf(target.Record, pooling), bar, cancellationToken);
                    bar.Finish();
                    Console.WriteLine($"{target.Name}: re-embedded {done.Record.DocumentCount} documents into {done.IndexedVectors} vectors of {done.Record.Settings.Dimension} dimensions with {done.Record.Settings.ModelName} ({done.Record.Settings.Pooling})");
                }
                else
                {
                    var bar = new ProgressBar($"rebuild {target.Name}", target.Record.ChunkCount, "vectors");
                    var done = await engine.RebuildIndexAsync(target.Name, bar, cancellationToken);
                    bar.Finish();
                    Console.WriteLine($"{target.Name}: rebuilt {done.IndexedVectors} vectors; snapshot at sequence {done.SnapshotSequence}" + (done.SkippedDocuments > 0 ? $"; {done.SkippedDocuments} documents skipped" : ""));
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Asks a running server to rebuild one collection while the others serve.</summary>
    private static async Task<int> RebuildOnlineAsync(ServerArguments server, ParseResult result, string? name, CancellationToken cancellationToken)
    {
        if (name is null)
        {
            return CommandRunner.Fail(ExitCodes.BadInput, "--server needs --collection NAME: a running server rebuilds one collection at a time");
        }

        using var channel = server.Channel(result);
        Console.Error.WriteLine($"rebuilding {name} on the server…");
        Protos.V1.CollectionInfo info = await new Protos.V1.Collections.CollectionsClient(channel).RebuildAsync(new Protos.V1.RebuildCollectionRequest { Name = name }, cancellationToken: cancellationToken);
        Console.WriteLine($"{info.Name}: rebuilt {info.IndexedVectors} vectors; snapshot at sequence {info.SnapshotSequence}; state {(info.State == Protos.V1.CollectionState.Ready ? "ready" : "FAILED")}" + (info.SkippedDocuments > 0 ? $"; {info.SkippedDocuments} documents skipped" : ""));
        return ExitCodes.Success;
    }

    private static async Task<SearchEngine> OpenAsync(string data, SentenceEmbedder? embedder, Microsoft.Extensions.Logging.ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(data, "krsbert.db")))
        {
            throw new DirectoryNotFoundException($"{data} holds no krsbert.db");
        }

        return await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = data }, embedder, loggers.CreateLogger("KrSbert.Search"), cancellationToken: cancellationToken);
    }
}
