using System.Diagnostics;
using KrSbert.Embedding.Models;
using Microsoft.ML.OnnxRuntime;

namespace KrSbert.Embedding.Inference;

/// <summary>
/// One ONNX Runtime session over a BERT graph: checks its inputs and output at load, then runs padded
/// batches and hands back <c>[batch, sequence, hidden]</c> token vectors. <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/> is thread-safe, so one instance serves every caller.
/// </summary>
internal sealed class OnnxSentenceEncoder : IDisposable
{
    private static readonly string[] s_outputCandidates = ["last_hidden_state", "token_embeddings"];

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    /// <summary>BERT's pooler head, tanh(dense(CLS)), when the export kept it as a second output.</summary>
    private const string PoolerOutputName = "pooler_output";

    private readonly string[] _outputNames;
    private readonly string[]? _outputNamesWithPooler;
    private readonly RunOptions _runOptions = new();

    private OnnxSentenceEncoder(InferenceSession session, bool hasTokenTypeIds, string outputName, int hiddenSize, bool hasPoolerOutput)
    {
        _session = session;
        HasTokenTypeIds = hasTokenTypeIds;
        HiddenSize = hiddenSize;
        _inputNames = hasTokenTypeIds ? ["input_ids", "attention_mask", "token_type_ids"] : ["input_ids", "attention_mask"];
        _outputNames = [outputName];
        _outputNamesWithPooler = hasPoolerOutput ? [outputName, PoolerOutputName] : null;
    }

    public bool HasTokenTypeIds { get; }

    /// <summary>Whether the graph has a float32 <c>pooler_output</c> [batch, hidden] besides the token vectors.</summary>
    public bool HasPoolerOutput => _outputNamesWithPooler is not null;

    public int HiddenSize { get; }

    public InferenceStatistics Statistics { get; } = new();

    /// <exception cref="ModelFolderException">The graph lacks an input or output, or its hidden size disagrees.</exception>
    public static OnnxSentenceEncoder Load(OnnxModelSource source, int hiddenSize, OnnxRuntimeOptions options)
    {
        SessionOptions Configure()
        {
            var sessionOptions = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                IntraOpNumThreads = options.IntraOpThreads > 0 ? options.IntraOpThreads : Environment.ProcessorCount,
                InterOpNumThreads = 1,
            };
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
            return sessionOptions;
        }

        string display = source is OnnxModelSource.File file ? Path.GetFileName(file.Path) : source.ToString() ?? "model.onnx";
        InferenceSession session;
        GraphCacheUse? cacheUse = null;
        try
        {
            if (options.GraphCacheDirectory is { } cacheDirectory && options.OptimizedModelPath is null)
            {
                try
                {
                    (session, cacheUse) = new OptimizedGraphCache(cacheDirectory).Open(source, Configure);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or OnnxRuntimeException)
                {
                    // A cache is an optimisation: a folder that cannot be written (read-only, full) must not stop the
                    // model loading. A model ONNX Runtime cannot load fails again below, with its own message.
                    cacheUse = new GraphCacheUse(cacheDirectory, GraphCacheOutcome.Unavailable, "") { Problem = e.Message };
                    session = Open(source, Configure, null);
                }
            }
            else
            {
                session = Open(source, Configure, options.OptimizedModelPath);
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelFolderException(display, null, $"ONNX Runtime cannot load it: {e.Message}", e);
        }

        try
        {
            OnnxSentenceEncoder encoder = Validate(session, display, hiddenSize);
            encoder.GraphCache = cacheUse;
            return encoder;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The optimised-graph cache this session came from or wrote; null when no cache was configured.</summary>
    public GraphCacheUse? GraphCache { get; private set; }

    private static InferenceSession Open(OnnxModelSource source, Func<SessionOptions> configure, string? optimizedModelPath)
    {
        using SessionOptions sessionOptions = configure();
        if (optimizedModelPath is not null)
        {
            sessionOptions.OptimizedModelFilePath = optimizedModelPath;
        }

        return OpenSource(source, sessionOptions);
    }

    /// <summary>A session straight over the source graph (a file, or the embedded model's bytes).</summary>
    internal static InferenceSession OpenSource(OnnxModelSource source, SessionOptions sessionOptions) => source switch
    {
        OnnxModelSource.File f => new InferenceSession(f.Path, sessionOptions),
        OnnxModelSource.Embedded e => new InferenceSession(e.Load(), sessionOptions),
        _ => throw new ArgumentOutOfRangeException(nameof(source)),
    };

    /// <summary>
    /// Runs one padded batch. <paramref name="inputIds"/> and <paramref name="attentionMask"/> hold
    /// <paramref name="batch"/> × <paramref name="sequenceLength"/> values; <paramref name="tokenTypeIds"/> zeros of the same size.
    /// The caller disposes the returned value, whose span is the token vectors.
    /// </summary>
    public OrtValue Run(Memory<long> inputIds, Memory<long> attentionMask, Memory<long> tokenTypeIds, int batch, int sequenceLength, int realTokens)
    {
        IDisposableReadOnlyCollection<OrtValue> outputs = RunOutputs(inputIds, attentionMask, tokenTypeIds, batch, sequenceLength, realTokens, _outputNames);
        // The collection owns one value; hand it to the caller and let the collection go.
        return outputs[0];
    }

    /// <summary>
    /// Runs one padded batch asking for the token vectors and, when the graph has it, <c>pooler_output</c>
    /// (the second value, [batch, hidden]). The caller disposes the collection.
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> RunWithPooler(Memory<long> inputIds, Memory<long> attentionMask, Memory<long> tokenTypeIds, int batch, int sequenceLength, int realTokens)
    {
        IDisposableReadOnlyCollection<OrtValue> outputs = RunOutputs(inputIds, attentionMask, tokenTypeIds, batch, sequenceLength, realTokens, _outputNamesWithPooler ?? _outputNames);
        if (outputs.Count > 1)
        {
            long[] poolerShape = outputs[1].GetTensorTypeAndShape().Shape;
            if (poolerShape.Length != 2 || poolerShape[0] != batch || poolerShape[1] != HiddenSize)
            {
                outputs.Dispose();
                throw new InvalidOperationException($"The model returned pooler_output of shape [{string.Join(", ", poolerShape)}], expected [{batch}, {HiddenSize}].");
            }
        }

        return outputs;
    }

    private IDisposableReadOnlyCollection<OrtValue> RunOutputs(Memory<long> inputIds, Memory<long> attentionMask, Memory<long> tokenTypeIds, int batch, int sequenceLength, int realTokens, string[] outputNames)
    {
        long[] shape = [batch, sequenceLength];
        int count = batch * sequenceLength;
        using OrtValue ids = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputIds[..count], shape);
        using OrtValue mask = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, attentionMask[..count], shape);
        using OrtValue? types = HasTokenTypeIds ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tokenTypeIds[..count], shape) : null;
        OrtValue[] inputs = types is null ? [ids, mask] : [ids, mask, types];

        long start = Stopwatch.GetTimestamp();
        IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, _inputNames, inputs, outputNames);
        Statistics.Record(Stopwatch.GetTimestamp() - start, batch, sequenceLength, realTokens);

        OrtValue output = outputs[0];
        long[] outputShape = output.GetTensorTypeAndShape().Shape;
        if (outputShape.Length != 3 || outputShape[0] != batch || outputShape[1] != sequenceLength || outputShape[2] != HiddenSize)
        {
            outputs.Dispose();
            throw new InvalidOperationException($"The model returned shape [{string.Join(", ", outputShape)}], expected [{batch}, {sequenceLength}, {HiddenSize}].");
        }

        return outputs;
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static OnnxSentenceEncoder Validate(InferenceSession session, string display, int hiddenSize)
    {
        IReadOnlyDictionary<string, NodeMetadata> inputs = session.InputMetadata;
        foreach (string required in new[] { "input_ids", "attention_mask" })
        {
            if (!inputs.TryGetValue(required, out NodeMetadata? meta))
            {
                throw new ModelFolderException(display, required, $"the graph has no input '{required}' (inputs: {string.Join(", ", inputs.Keys)})");
            }

            RequireInt64(display, required, meta);
        }

        bool hasTokenTypeIds = inputs.TryGetValue("token_type_ids", out NodeMetadata? typeMeta);
        if (typeMeta is not null)
        {
            RequireInt64(display, "token_type_ids", typeMeta);
        }

        string? unexpected = inputs.Keys.FirstOrDefault(k => k is not ("input_ids" or "attention_mask" or "token_type_ids"));
        if (unexpected is not null)
        {
            throw new ModelFolderException(display, unexpected, "the graph needs an input this engine does not provide (it feeds input_ids, attention_mask, token_type_ids)");
        }

        string? output = s_outputCandidates.FirstOrDefault(session.OutputMetadata.ContainsKey)
            ?? throw new ModelFolderException(display, "last_hidden_state", $"the graph has no output 'last_hidden_state' or 'token_embeddings' (outputs: {string.Join(", ", session.OutputMetadata.Keys)})");
        NodeMetadata outputMeta = session.OutputMetadata[output];
        int[] dims = outputMeta.Dimensions;
        if (outputMeta.ElementType != typeof(float) || dims.Length != 3)
        {
            throw new ModelFolderException(display, output, $"must be float32 [batch, sequence, hidden], is {outputMeta.ElementType.Name} with {dims.Length} dimensions");
        }

        if (dims[2] > 0 && dims[2] != hiddenSize)
        {
            throw new ModelFolderException(display, output, $"has hidden size {dims[2]} but config.json hidden_size and the pooling dimension are {hiddenSize}");
        }

        // The pooler head is optional: exports made before deploy/export_model.py kept it simply lack it.
        bool hasPooler = session.OutputMetadata.TryGetValue(PoolerOutputName, out NodeMetadata? poolerMeta)
            && poolerMeta.ElementType == typeof(float) && poolerMeta.Dimensions.Length == 2
            && (poolerMeta.Dimensions[1] <= 0 || poolerMeta.Dimensions[1] == hiddenSize);
        return new OnnxSentenceEncoder(session, hasTokenTypeIds, output, hiddenSize, hasPooler);
    }

    private static void RequireInt64(string display, string name, NodeMetadata meta)
    {
        if (meta.ElementType != typeof(long) || meta.Dimensions.Length != 2)
        {
            throw new ModelFolderException(display, name, $"must be int64 [batch, sequence], is {meta.ElementType.Name} with {meta.Dimensions.Length} dimensions");
        }
    }
}
