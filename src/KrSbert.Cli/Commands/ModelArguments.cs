using System.CommandLine;
using KrSbert.Embedding;
using KrSbert.Embedding.Models;
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

    public Option<string> Precision { get; } = new("--model-precision")
    {
        Description = "fp32 (model.onnx) or int8 (model.int8.onnx from the model folder)",
        DefaultValueFactory = _ => "fp32",
    };

    public Option<string?> ModelCache { get; } = new("--model-cache")
    {
        Description = "Folder for ONNX Runtime's optimised graphs, so later starts skip the optimiser; 'off' disables it (default: $XDG_CACHE_HOME/krsbert/model-cache or ~/.cache/krsbert/model-cache)",
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Log model loading and progress to standard error",
    };

    public void AddTo(Command command, bool embedding)
    {
        command.Options.Add(Model);
        command.Options.Add(MaxSequenceLength);
        command.Options.Add(Precision);
        command.Options.Add(ModelCache);
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

    /// <summary>Loads the model with <paramref name="options"/>, the precision of --model-precision (or <paramref name="precision"/>) and the graph cache.</summary>
    public SentenceEmbedder LoadWith(ParseResult result, ILoggerFactory loggers, EmbedderOptions options, ModelPrecision? precision = null)
    {
        ILogger logger = loggers.CreateLogger("KrSbert.Model");
        options = options with
        {
            Precision = precision ?? ParsePrecision(result),
            OnnxRuntime = options.OnnxRuntime.OptimizedModelPath is null
                ? options.OnnxRuntime with { GraphCacheDirectory = CacheDirectory(result) }
                : options.OnnxRuntime,
        };
        return result.GetValue(Model) is { } folder
            ? SentenceEmbedder.LoadFolder(folder, options, logger)
            : SentenceEmbedder.LoadDefault(options, logger);
    }

    /// <exception cref="FormatException">--model-precision is neither fp32 nor int8.</exception>
    public ModelPrecision ParsePrecision(ParseResult result) =>
        ModelPrecisions.TryParse(result.GetValue(Precision), out ModelPrecision precision)
            ? precision
            : throw new FormatException($"--model-precision is '{result.GetValue(Precision)}'; use fp32 or int8.");

    /// <summary>The optimised-graph cache folder: --model-cache, or the user's cache folder; null when 'off'.</summary>
    public string? CacheDirectory(ParseResult result)
    {
        string? given = result.GetValue(ModelCache);
        if (given is { Length: > 0 })
        {
            return string.Equals(given, "off", StringComparison.OrdinalIgnoreCase) ? null : given;
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = xdg is { Length: > 0 } ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "krsbert", "model-cache");
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
