using System.CommandLine;
using KrSbert.Cli.Input;
using KrSbert.Cli.Output;
using KrSbert.Embedding;
using KrSbert.Probe;
using KrSbert.Probe.Data;
using KrSbert.Probe.Features;
using KrSbert.Probe.Reporting;
using KrSbert.Storage;
using KrSbert.Storage.Documents;

namespace KrSbert.Cli.Commands;

/// <summary>
/// <c>krsbert probe</c>: which pooling predicts a label best. Linear probes on every pooling from one forward
/// pass, cross-validated with intervals, against baselines.
/// </summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var input = new Argument<string?>("file")
        {
            Description = "JSON lines (.jsonl: 'text', the label and pair fields) or CSV/TSV with a header (.csv: commas, anything else: tabs)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var textColumn = new Option<string>("--text-column") { Description = "CSV/TSV column holding the text", DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { Description = "Column or JSON field holding the label", DefaultValueFactory = _ => "label" };
        var pairColumn = new Option<string?>("--pair-column") { Description = "Column or JSON field holding the second sentence: the rows are sentence pairs" };
        var data = new Option<string?>("--data", "-d") { Description = "Instead of a file: a stopped server's data folder (holds krsbert.db)" };
        var collection = new Option<string?>("--collection", "-c") { Description = "With --data: the collection whose stored texts are probed" };
        var labelField = new Option<string?>("--label-field") { Description = "With --data: the metadata field holding the label" };
        var task = new Option<string>("--task")
        {
            Description = "regression (numeric label; ridge) or classification (class label; logistic regression)",
            Required = true,
        };
        task.AcceptOnlyFromAmong("regression", "classification");
        var poolings = new Option<string>("--pooling")
        {
            Description = "Poolings to compare, comma-separated; '+' concatenates (cls+mean); 'pooler' is BERT's pooler_output when the ONNX graph has it",
            DefaultValueFactory = _ => PoolingChoice.DefaultList,
        };
        var folds = new Option<int>("--folds") { Description = "Outer folds", DefaultValueFactory = _ => 10 };
        var repeats = new Option<int>("--repeats") { Description = "Repeats of the k-fold split", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of the splits", DefaultValueFactory = _ => 1 };
        var innerFolds = new Option<int>("--inner-folds") { Description = "Inner folds choosing lambda or C", DefaultValueFactory = _ => 5 };
        var minimumRows = new Option<int>("--min-rows") { Description = "Fewest labelled rows worth probing", DefaultValueFactory = _ => 20 };
        var limit = new Option<int?>("--limit") { Description = "Probe only the first N rows with a label (a quick look at a large file)" };
        var json = new Option<string?>("--json") { Description = "Also write the full report (every fold score, every comparison) to this JSON file" };
        var csv = new Option<string?>("--csv") { Description = "Also write one line per candidate and metric to this CSV file" };
        var chart = new Option<string?>("--chart") { Description = "Also write an SVG chart of each metric and its interval per candidate" };
        var command = new Command("probe", "Which pooling predicts your label best: cross-validated linear probes on every pooling, with 95% intervals and baselines")
        {
            input, textColumn, labelColumn, pairColumn, data, collection, labelField, task, poolings,
            folds, repeats, seed, innerFolds, minimumRows, limit, json, csv, chart,
        };
        model.AddTo(command, embedding: false);
        command.Options.Add(model.BatchSize);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(async () =>
        {
            try
            {
                ProbeTask probeTask = result.GetValue(task) == "classification" ? ProbeTask.Classification : ProbeTask.Regression;
                IReadOnlyList<PoolingChoice> choices = PoolingChoice.ParseList(result.GetValue(poolings)!);
                var options = new ProbeOptions
                {
                    Folds = result.GetValue(folds),
                    Repeats = result.GetValue(repeats),
                    Seed = result.GetValue(seed),
                    InnerFolds = result.GetValue(innerFolds),
                    MinimumRows = result.GetValue(minimumRows),
                };
                options.Validate();
                string? dataFolder = result.GetValue(data);
                string? path = result.GetValue(input);
                if ((dataFolder is null) == (path is null))
                {
                    return CommandRunner.Fail(ExitCodes.BadInput, "give a FILE, or --data DIR --collection NAME --label-field FIELD (a stopped server's data), one of the two");
                }

                List<ProbeExample> rows;
                bool pairs;
                if (dataFolder is not null)
                {
                    if (result.GetValue(collection) is not { } name || result.GetValue(labelField) is not { } field)
                    {
                        return CommandRunner.Fail(ExitCodes.BadInput, "--data needs --collection NAME and --label-field FIELD");
                    }

                    pairs = false;
                    rows = ReadStore(dataFolder, name, field, out int? missing);
                    if (missing is null)
                    {
                        return CommandRunner.Fail(ExitCodes.NotFound, $"collection '{name}' does not exist");
                    }

                    if (missing > 0)
                    {
                        Console.Error.WriteLine($"{missing} documents without text (vectors only) left out");
                    }
                }
                else
                {
                    string? pairName = result.GetValue(pairColumn);
                    pairs = pairName is not null;
                    rows = await ReadFileAsync(path!, result.GetValue(textColumn)!, result.GetValue(labelColumn)!, pairName, cancellationToken);
                }

                if (result.GetValue(limit) is { } take)
                {
                    rows = rows.Where(r => !string.IsNullOrWhiteSpace(r.Label)).Take(take).ToList();
                }

                ProbeDataset dataset = ProbeDataset.Create(rows, probeTask, pairs, options.MinimumRows);
                if (dataset.SkippedRows > 0)
                {
                    Console.Error.WriteLine($"{dataset.SkippedRows} rows without a label skipped");
                }

                using var loggers = model.Loggers(result);
                using SentenceEmbedder embedder = model.Load(result, loggers);
                var bars = new ProbeProgressBars();
                // The invocation does not turn SIGINT into cancellation here; without this, Ctrl+C would kill the
                // process mid-fit. With it, the fits stop, nothing is written, and the exit code is 130.
                using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, context =>
                {
                    context.Cancel = true;
                    interrupted.Cancel();
                });
                ProbeReport report = await Task.Run(() => ProbeRunner.Run(embedder, dataset, choices, options, result.GetValue(model.MaxSequenceLength), bars, interrupted.Token), interrupted.Token);
                bars.Finish();
                ProbeReportWriter.WriteTable(report, Console.Out);
                if (result.GetValue(json) is { } jsonPath)
                {
                    await using FileStream stream = File.Create(jsonPath);
                    ProbeReportWriter.WriteJson(report, stream);
                }

                if (result.GetValue(csv) is { } csvPath)
                {
                    await using var writer = new StreamWriter(csvPath);
                    ProbeReportWriter.WriteCsv(report, writer);
                }

                if (result.GetValue(chart) is { } chartPath)
                {
                    await using var writer = new StreamWriter(chartPath);
                    ProbeChart.WriteSvg(report, writer);
                }

                return ExitCodes.Success;
            }
            catch (ProbeInputException e)
            {
                return CommandRunner.Fail(ExitCodes.BadInput, e.Message);
            }
        }));
        return command;
    }

    private static async Task<List<ProbeExample>> ReadFileAsync(string path, string textColumn, string labelColumn, string? pairColumn, CancellationToken cancellationToken)
    {
        bool jsonLines = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        using TextReader reader = TextRecordReader.Open(path);
        var recordReader = new TextRecordReader(jsonLines ? null : textColumn, sourceName: path);
        var rows = new List<ProbeExample>();
        bool checkedColumns = false;
        await foreach (TextRecord record in recordReader.ReadAsync(reader, path, cancellationToken))
        {
            if (!jsonLines && !checkedColumns)
            {
                // A misspelt column would otherwise read as "every label missing".
                foreach (string column in pairColumn is null ? [labelColumn] : new[] { labelColumn, pairColumn })
                {
                    if (record.Metadata is null || !record.Metadata.ContainsKey(column))
                    {
                        throw new InputFormatException(path, 1, $"the header has no column '{column}'");
                    }
                }

                checkedColumns = true;
            }

            rows.Add(new ProbeExample(record.LineNumber, record.Text, pairColumn is null ? null : Field(record, pairColumn) ?? "", Field(record, labelColumn)));
        }

        return rows;
    }

    private static string? Field(TextRecord record, string name) =>
        record.Fields?.GetValueOrDefault(name) ?? record.Metadata?.GetValueOrDefault(name);

    /// <summary>The stored texts and a metadata field of one collection; null <paramref name="withoutText"/> when it does not exist.</summary>
    private static List<ProbeExample> ReadStore(string folder, string collection, string labelField, out int? withoutText)
    {
        string database = Path.Combine(folder, "krsbert.db");
        if (!File.Exists(database))
        {
            throw new DirectoryNotFoundException($"{folder} holds no krsbert.db");
        }

        // Opening takes the store's lock: a running server holds it, and the refusal is exit code 6.
        using DocumentStore store = DocumentStore.Open(database);
        withoutText = null;
        if (store.GetCollection(collection) is null)
        {
            return [];
        }

        var rows = new List<ProbeExample>();
        int skipped = 0;
        long number = 0;
        foreach (StoredDocument document in store.ScanDocuments(collection))
        {
            number++;
            if (string.IsNullOrEmpty(document.Text))
            {
                skipped++;
                continue;
            }

            rows.Add(new ProbeExample(number, document.Text, null, document.Metadata.GetValueOrDefault(labelField)));
        }

        withoutText = skipped;
        return rows;
    }
}
