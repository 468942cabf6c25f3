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
        var data = new Option<string>("--data", "-d") { Description = "Data folder (holds krsbert.db)", Required = true };
        var collection = new Option<string?>("--collection", "-c") { Description = "Only this collection (default: all)" };
        var reembed = new Option<bool>("--reembed") { Description = "Re-embed every text with --model and --pooling instead of reusing stored vectors" };
        var command = new Command("rebuild", "Rebuild indexes offline (the server must be stopped: the database opens once)") { data, collection, reembed };
        model.AddTo(command, embedding: true);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            bool reembedding = result.GetValue(reembed);
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
                    await engine.RebuildIndexAsync(target.Name, bar, cancellationToken);
                    bar.Finish();
                    var done = engine.GetCollection(target.Name);
                    Console.WriteLine($"{target.Name}: rebuilt {done.IndexedVectors} vectors; snapshot at sequence {done.SnapshotSequence}");
                }
            }

            return ExitCodes.Success;
        }));
        return command;
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
