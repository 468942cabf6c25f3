using System.CommandLine;
using System.Globalization;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Cli.Commands;

/// <summary><c>krsbert query TEXT</c>: the nearest documents as a readable table.</summary>
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
        var command = new Command("query", "Search a collection") { text, collection, topK, filters, threshold, exact };
        server.AddTo(command);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            var request = new QueryRequest { Collection = result.GetValue(collection), Text = result.GetValue(text), TopK = result.GetValue(topK), Exact = result.GetValue(exact) };
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
            Console.WriteLine($"{"#",3}  {"score",7}  {"id",-24}  text");
            int rank = 0;
            foreach (Hit hit in response.Hits)
            {
                string passage = hit.ChunkEnd > hit.ChunkStart && hit.ChunkEnd <= hit.Text.Length ? hit.Text[(int)hit.ChunkStart..(int)hit.ChunkEnd] : hit.Text;
                passage = passage.ReplaceLineEndings(" ");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{++rank,3}  {hit.Score,7:F4}  {Shorten(hit.Id, 24),-24}  {Shorten(passage, 70)}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{response.Hits.Count} hits in {response.Timings.TotalMs:F1} ms (embedding {response.Timings.EmbeddingMs:F1} ms, search {response.Timings.SearchMs:F1} ms)"));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Shorten(string text, int width) => text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 1), "…");
}
