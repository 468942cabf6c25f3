using System.CommandLine;
using System.Globalization;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Cli.Commands;

/// <summary><c>krsbert query TEXT</c>: the best documents as a readable table; with <c>--explain</c>, each leg's rank and score beside them.</summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var server = new ServerArguments();
        var text = new Argument<string>("text") { Description = "The query" };
        var collection = new Option<string>("--collection", "-c") { Description = "Collection to search", Required = true };
        var topK = new Option<uint>("--top-k", "-k") { Description = "How many documents", DefaultValueFactory = _ => 5 };
        var filters = new Option<string[]>("--filter", "-f") { Description = "key=value or key=a|b (repeat for AND)", AllowMultipleArgumentsPerToken = false };
        var threshold = new Option<float?>("--score-threshold") { Description = "Leave out weaker hits" };
        var exact = new Option<bool>("--exact") { Description = "Brute force instead of HNSW" };
        var mode = new Option<string>("--mode", "-m") { Description = "dense (embeddings), lexical (BM25 over Korean syllables) or hybrid (both, fused)", DefaultValueFactory = _ => "dense" };
        var candidates = new Option<uint?>("--candidates") { Description = "Documents per leg in hybrid mode (default max(4 x top-k, 100))" };
        var fusion = new Option<string>("--fusion") { Description = "Hybrid fusion: convex (default: alpha x dense + (1 - alpha) x lexical, min-max normalised) or rrf (reciprocal ranks, k 60)", DefaultValueFactory = _ => "convex" };
        var alpha = new Option<double?>("--alpha") { Description = "Convex fusion's weight of the dense leg, 0 to 1 (default 0.5)" };
        var explain = new Option<bool>("--explain") { Description = "Show each hit's rank and score in the dense and lexical legs" };
        var command = new Command("query", "Search a collection") { text, collection, topK, filters, threshold, exact, mode, candidates, fusion, alpha, explain };
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var request = new QueryRequest
            {
                Collection = result.GetValue(collection),
                Text = result.GetValue(text),
                TopK = result.GetValue(topK),
                Exact = result.GetValue(exact),
                Mode = result.GetValue(mode) ?? "",
                Fusion = new Fusion { Method = result.GetValue(fusion) ?? "" },
                Explain = result.GetValue(explain),
            };
            if (result.GetValue(candidates) is { } c)
            {
                request.Candidates = c;
            }

            if (result.GetValue(alpha) is { } a)
            {
                request.Fusion.Alpha = a;
            }

            if (result.GetValue(threshold) is { } t)
            {
                request.ScoreThreshold = t;
            }

            foreach (string filter in result.GetValue(filters) ?? [])
            {
                int equals = filter.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new FormatException($"--filter '{filter}' is not key=value.");
                }

                request.Filter ??= new Filter();
                request.Filter.Must.Add(new Condition { Key = filter[..equals], AnyOf = { filter[(equals + 1)..].Split('|') } });
            }

            using var channel = server.Channel(result);
            QueryResponse response = await new SearchApi.SearchClient(channel).QueryAsync(request, cancellationToken: cancellationToken);
            bool legs = request.Explain;
            Console.WriteLine(legs ? $"{"#",3}  {"score",7}  {"dense",12}  {"lexical",12}  {"id",-24}  text" : $"{"#",3}  {"score",7}  {"id",-24}  text");
            int rank = 0;
            foreach (Hit hit in response.Hits)
            {
                string passage = hit.ChunkEnd > hit.ChunkStart && hit.ChunkEnd <= hit.Text.Length ? hit.Text[(int)hit.ChunkStart..(int)hit.ChunkEnd] : hit.Text;
                passage = passage.ReplaceLineEndings(" ");
                string columns = legs ? $"{Leg(hit.Dense),12}  {Leg(hit.Lexical),12}  " : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{++rank,3}  {hit.Score,7:F4}  {columns}{Shorten(hit.Id, 24),-24}  {Shorten(passage, 70)}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{response.Hits.Count} hits in {response.Timings.TotalMs:F1} ms (embedding {response.Timings.EmbeddingMs:F1} ms, search {response.Timings.SearchMs:F1} ms)"));
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>A leg's standing as <c>#rank score</c>, or <c>-</c> when the leg did not find the hit.</summary>
    private static string Leg(LegScore? leg) =>
        leg is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"#{leg.Rank} {leg.Score:F4}");

    private static string Shorten(string text, int width) => text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 1), "…");
}
