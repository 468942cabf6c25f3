using System.CommandLine;
using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using Microsoft.Extensions.Logging;

namespace KrSbert.Cli.Commands;

/// <summary>The options every command that loads a model shares.</summary>
internal sealed class ModelArguments
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = "Model folder (sentence-transformers layout plus model.onnx); default: the embedded all-MiniLM-L6-v2 (English-only)",
    };

    public Option<string?> Pooling { get; } = new("--pooling")
    {
        Description = "Pooling: mean, cls, max, mean_sqrt_len, or several joined by '+' (default: the model's)",
    };

    public Option<bool?> Normalize { get; } = new("--normalize")
    {
        Description = "L2-normalise vectors: true or false (default: the model's)",
    };

    public Option<int?> MaxSequenceLength { get; } = new("--max-seq-length")
    {
        Description = "Truncate to this many tokens (default and maximum: the model's max_seq_length)",
    };

    public Option<int> BatchSize { get; } = new("--batch-size")
    {
        Description = "Texts per ONNX Runtime call",
        DefaultValueFactory = _ => 32,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Log model loading and progress to standard error",
    };

    public void AddTo(Command command, bool embedding)
    {
        command.Options.Add(Model);
        command.Options.Add(MaxSequenceLength);
        command.Options.Add(Verbose);
        if (embedding)
        {
            command.Options.Add(Pooling);
            command.Options.Add(Normalize);
            command.Options.Add(BatchSize);
        }
    }

    public SentenceEmbedder Load(ParseResult result, ILoggerFactory loggers) =>
        LoadWith(result, loggers, result.GetResult(BatchSize) is null ? new EmbedderOptions() : new EmbedderOptions { BatchSize = result.GetValue(BatchSize) });

    public SentenceEmbedder LoadWith(ParseResult result, ILoggerFactory loggers, EmbedderOptions options)
    {
        ILogger logger = loggers.CreateLogger("KrSbert.Model");
        return result.GetValue(Model) is { } folder
            ? SentenceEmbedder.LoadFolder(folder, options, logger)
            : SentenceEmbedder.LoadDefault(options, logger);
    }

    public EmbeddingRequest Request(ParseResult result) => new()
    {
        Pooling = result.GetValue(Pooling) is { } pooling ? PoolingModes.Parse(pooling) : null,
        Normalize = result.GetValue(Normalize),
        MaxSequenceLength = result.GetValue(MaxSequenceLength),
    };

    public ILoggerFactory Loggers(ParseResult result) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(result.GetValue(Verbose) ? LogLevel.Information : LogLevel.Warning)
        .AddSimpleConsole(o => o.SingleLine = true)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
}
