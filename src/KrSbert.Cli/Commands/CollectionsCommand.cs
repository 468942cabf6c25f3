using System.CommandLine;
using System.Globalization;
using KrSbert.Protos.V1;

namespace KrSbert.Cli.Commands;

/// <summary><c>krsbert collections create|list|get|delete</c> against a server.</summary>
internal static class CollectionsCommand
{
    public static Command Create()
    {
        var command = new Command("collections", "Create, list, show and delete collections on a server");
        command.Subcommands.Add(CreateSubcommand());
        command.Subcommands.Add(ListSubcommand());
        command.Subcommands.Add(GetSubcommand());
        command.Subcommands.Add(DeleteSubcommand());
        return command;
    }

    private static Command CreateSubcommand()
    {
        var server = new ServerArguments();
        var name = new Argument<string>("name") { Description = "1-64 letters, digits, '-' or '_'" };
        var pooling = new Option<string?>("--pooling") { Description = "mean, cls, max, mean_sqrt_len or joined by '+' (default: the model's)" };
        var metric = new Option<string>("--metric") { Description = "cosine, inner_product or l2", DefaultValueFactory = _ => "cosine" };
        var m = new Option<uint?>("--m") { Description = "HNSW degree (default 16)" };
        var efConstruction = new Option<uint?>("--ef-construction") { Description = "HNSW build candidates (default 200)" };
        var efSearch = new Option<uint?>("--ef-search") { Description = "HNSW query candidates (default 64)" };
        var storage = new Option<string>("--index-storage") { Description = "f32, f16 or i8", DefaultValueFactory = _ => "f32" };
        var dimension = new Option<uint?>("--dimension") { Description = "For bring-your-own vectors of another size" };
        var chunkTokens = new Option<uint?>("--chunk-tokens") { Description = "Token window for long documents (default: the model's)" };
        var chunkOverlap = new Option<uint?>("--chunk-overlap") { Description = "Tokens shared by consecutive chunks (default 32)" };
        var bm25K1 = new Option<double?>("--bm25-k1") { Description = "Lexical leg's BM25 term-frequency saturation, at least 0 (default 0.9)" };
        var bm25B = new Option<double?>("--bm25-b") { Description = "Lexical leg's BM25 length normalisation, 0 to 1 (default 0.4)" };
        var command = new Command("create", "Create a collection") { name, pooling, metric, m, efConstruction, efSearch, storage, dimension, chunkTokens, chunkOverlap, bm25K1, bm25B };
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var request = new CreateCollectionRequest
            {
                Name = result.GetValue(name)!,
                Pooling = result.GetValue(pooling) ?? "",
                Metric = result.GetValue(metric) switch
                {
                    "cosine" => Metric.Cosine,
                    "inner_product" or "ip" => Metric.InnerProduct,
                    "l2" => Metric.L2,
                    var other => throw new FormatException($"--metric '{other}' is not cosine, inner_product or l2."),
                },
                IndexStorage = result.GetValue(storage) switch
                {
                    "f32" => IndexStorage.F32,
                    "f16" => IndexStorage.F16,
                    "i8" => IndexStorage.I8,
                    var other => throw new FormatException($"--index-storage '{other}' is not f32, f16 or i8."),
                },
            };
            if (result.GetValue(m) is { } mValue)
            {
                request.M = mValue;
            }

            if (result.GetValue(efConstruction) is { } efc)
            {
                request.EfConstruction = efc;
            }

            if (result.GetValue(efSearch) is { } efs)
            {
                request.EfSearch = efs;
            }

            if (result.GetValue(dimension) is { } dim)
            {
                request.Dimension = dim;
            }

            if (result.GetValue(chunkTokens) is { } tokens)
            {
                request.ChunkTokens = tokens;
            }

            if (result.GetValue(chunkOverlap) is { } overlap)
            {
                request.ChunkOverlap = overlap;
            }

            if (result.GetValue(bm25K1) is { } k1)
            {
                request.Bm25K1 = k1;
            }

            if (result.GetValue(bm25B) is { } b)
            {
                request.Bm25B = b;
            }

            using var channel = server.Channel(result);
            Print(await new Collections.CollectionsClient(channel).CreateAsync(request, cancellationToken: cancellationToken));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command ListSubcommand()
    {
        var server = new ServerArguments();
        var command = new Command("list", "List collections");
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            using var channel = server.Channel(result);
            var list = await new Collections.CollectionsClient(channel).ListAsync(new ListCollectionsRequest(), cancellationToken: cancellationToken);
            Console.WriteLine($"{"name",-24} {"documents",10} {"vectors",10} {"dim",5} {"pooling",-10} model");
            foreach (CollectionInfo c in list.Collections)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Name,-24} {c.Documents,10} {c.IndexedVectors,10} {c.Dimension,5} {c.Pooling,-10} {c.Model}"));
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command GetSubcommand()
    {
        var server = new ServerArguments();
        var name = new Argument<string>("name");
        var command = new Command("get", "Show a collection's settings and counts") { name };
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            using var channel = server.Channel(result);
            Print(await new Collections.CollectionsClient(channel).GetAsync(new GetCollectionRequest { Name = result.GetValue(name) }, cancellationToken: cancellationToken));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command DeleteSubcommand()
    {
        var server = new ServerArguments();
        var name = new Argument<string>("name");
        var command = new Command("delete", "Delete a collection and all its documents") { name };
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            using var channel = server.Channel(result);
            await new Collections.CollectionsClient(channel).DeleteAsync(new DeleteCollectionRequest { Name = result.GetValue(name) }, cancellationToken: cancellationToken);
            Console.WriteLine($"deleted {result.GetValue(name)}");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Prints a collection's settings, counts and state, one field a line.</summary>
    public static void Print(CollectionInfo c)
    {
        Console.WriteLine($"name:            {c.Name}");
        Console.WriteLine($"state:           {(c.State == CollectionState.Failed ? $"FAILED: {c.StateReason}" : "ready")}");
        Console.WriteLine($"model:           {c.Model}");
        Console.WriteLine($"dimension:       {c.Dimension}");
        Console.WriteLine($"pooling:         {c.Pooling}{(c.Normalize ? " (normalized)" : "")}");
        Console.WriteLine($"metric:          {c.Metric}");
        Console.WriteLine($"hnsw:            m={c.M} ef_construction={c.EfConstruction} ef_search={c.EfSearch} storage={c.IndexStorage}");
        Console.WriteLine($"chunking:        {c.ChunkTokens} tokens, {c.ChunkOverlap} overlap");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bm25:            k1={c.Bm25K1} b={c.Bm25B}"));
        Console.WriteLine($"documents:       {c.Documents} ({c.Chunks} chunks, {c.IndexedVectors} indexed)");
        Console.WriteLine($"sequence:        {c.Sequence} (snapshot at {c.SnapshotSequence})");
        Console.WriteLine($"text searchable: {c.TextSearchable}");
        if (c.SkippedDocuments > 0)
        {
            Console.WriteLine($"skipped:         {c.SkippedDocuments} stored documents the index refused (see the server log)");
        }
    }
}
