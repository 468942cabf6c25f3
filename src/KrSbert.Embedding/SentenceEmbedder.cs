using System.Buffers;
using KrSbert.Embedding.Inference;
using KrSbert.Embedding.Models;
using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace KrSbert.Embedding;

/// <summary>
/// A sentence-transformers model run by ONNX Runtime: tokenizes as Hugging Face does, batches texts by
/// length, and pools token vectors as sentence-transformers does. One instance serves concurrent callers.
/// Inference is CPU-bound and synchronous; <see cref="EmbedAsync"/> moves it off the caller's thread.
/// </summary>
public sealed class SentenceEmbedder : IDisposable
{
    private readonly OnnxSentenceEncoder? _encoder;
    private readonly EmbedderOptions _options;
    private readonly ILogger _logger;

    private SentenceEmbedder(SentenceModelDefinition model, WordPieceTokenizer tokenizer, OnnxSentenceEncoder? encoder, EmbedderOptions options, ILogger logger)
    {
        Model = model;
        Tokenizer = tokenizer;
        _encoder = encoder;
        _options = options;
        _logger = logger;
    }

    /// <summary>What the model folder declares.</summary>
    public SentenceModelDefinition Model { get; }

    /// <summary>The model's tokenizer.</summary>
    public WordPieceTokenizer Tokenizer { get; }

    /// <summary>Longest text accepted, in UTF-16 characters.</summary>
    public int MaxTextLength => _options.MaxTextLength;

    /// <summary>Which graph runs: fp32 <c>model.onnx</c> or int8 <c>model.int8.onnx</c>.</summary>
    public ModelPrecision Precision => _options.Precision;

    /// <summary>The optimised-graph cache the model loaded from or wrote; null when none was configured.</summary>
    public GraphCacheUse? GraphCache => _encoder?.GraphCache;

    /// <summary>Whether an ONNX graph is loaded (a tokenizer-only folder has none).</summary>
    public bool CanEmbed => _encoder is not null;

    /// <summary>Whether the ONNX graph also returns BERT's <c>pooler_output</c> (tanh(dense(CLS))).</summary>
    public bool HasPoolerOutput => _encoder?.HasPoolerOutput ?? false;

    /// <summary>Time spent inside ONNX Runtime, for throughput reports.</summary>
    public InferenceStatistics Statistics => _encoder?.Statistics ?? new InferenceStatistics();

    /// <summary>Loads the model folder at <paramref name="directory"/>.</summary>
    /// <exception cref="ModelFolderException">The folder is incomplete or inconsistent.</exception>
    public static SentenceEmbedder LoadFolder(string directory, EmbedderOptions? options = null, ILogger? logger = null) =>
        Load(ModelFolder.Read(directory), options, logger);

    /// <summary>Loads the embedded default model (all-MiniLM-L6-v2, English-only).</summary>
    public static SentenceEmbedder LoadDefault(EmbedderOptions? options = null, ILogger? logger = null) =>
        Load(EmbeddedModel.Definition, options, logger);

    /// <summary>Loads a model from its definition.</summary>
    /// <exception cref="ModelFolderException">The vocabulary or ONNX graph disagrees with the definition.</exception>
    public static SentenceEmbedder Load(SentenceModelDefinition model, EmbedderOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new EmbedderOptions();
        options.Validate();
        logger ??= NullLogger.Instance;

        WordPieceTokenizer tokenizer;
        try
        {
            using Stream vocabulary = model.OpenVocabulary();
            tokenizer = WordPieceTokenizer.Create(vocabulary, model.Tokenizer);
        }
        catch (InvalidDataException e)
        {
            throw new ModelFolderException("vocab.txt", null, e.Message, e);
        }

        OnnxModelSource? graph = model.Onnx;
        if (options.Precision == ModelPrecision.Int8)
        {
            graph = model.Int8Onnx ?? throw new ModelFolderException(
                ModelPrecisions.FileName(ModelPrecision.Int8),
                null,
                model.Onnx is null
                    ? $"is missing from {model.Source}, which has no ONNX graph at all; model precision int8 needs it (deploy/export_model.py writes it)"
                    : $"is missing beside {model.Onnx}; model precision int8 needs it (deploy/export_model.py writes it), or set the precision to fp32");
        }

        OnnxSentenceEncoder? encoder = graph is null ? null : OnnxSentenceEncoder.Load(graph, model.HiddenSize, options.OnnxRuntime);
        Log.ModelLoaded(logger, model.Name, model.Source, model.Dimension, PoolingModes.Format(model.Pooling), model.Normalize, model.Tokenizer.MaxSequenceLength, tokenizer.VocabularySize);
        if (encoder is not null)
        {
            Log.ModelPrecision(logger, ModelPrecisions.Format(options.Precision), graph!.ToString() ?? "");
        }

        if (encoder?.GraphCache is { } cache)
        {
            if (cache.Outcome == GraphCacheOutcome.Unavailable)
            {
                Log.GraphCacheUnavailable(logger, cache.Path, cache.Problem ?? "");
            }
            else
            {
                Log.GraphCache(logger, cache.Outcome, cache.Path);
            }
        }

        if (model.EnglishOnly)
        {
            Log.EnglishOnlyModel(logger, model.Name);
        }

        if (encoder is null)
        {
            Log.TokenizerOnly(logger, model.Source);
        }

        return new SentenceEmbedder(model, tokenizer, encoder, options, logger);
    }

    /// <summary>Vector length for a pooling choice (null: the model's default).</summary>
    public int DimensionOf(PoolingMode? pooling) => Model.HiddenSize * PoolingModes.Count(Resolve(pooling));

    /// <summary>Tokenizes one text after the same checks <see cref="Embed"/> applies.</summary>
    /// <exception cref="InvalidTextException">The text is empty, whitespace only or too long.</exception>
    public TokenizedText Tokenize(string text, int? maxSequenceLength = null)
    {
        CheckText(text, 0);
        TokenizedText tokens = Tokenizer.Tokenize(text, ResolveLength(maxSequenceLength));
        return tokens.InputIds.Count > 2 ? tokens : throw NoTokens(0);
    }

    /// <summary>Embeds texts; results come back in input order.</summary>
    /// <exception cref="InvalidTextException">A text is empty, whitespace only, too long, or has no tokens.</exception>
    /// <exception cref="InvalidOperationException">The model folder has no <c>model.onnx</c>.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between batches.</exception>
    public IReadOnlyList<SentenceEmbedding> Embed(IReadOnlyList<string> texts, EmbeddingRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        RequireEncoder();
        request ??= EmbeddingRequest.Default;
        PoolingMode pooling = Resolve(request.Pooling);
        bool normalize = request.Normalize ?? Model.Normalize;
        int limit = ResolveLength(request.MaxSequenceLength);

        (int[][] encoded, bool[] truncated) = EncodeAll(texts, limit);
        return EmbedEncoded(encoded, truncated, pooling, normalize, cancellationToken);
    }

    /// <summary>
    /// Embeds texts already tokenized into model input ids (<c>[CLS]</c> … <c>[SEP]</c>, at most the model's
    /// max_seq_length each), as chunking does with token windows of long documents.
    /// </summary>
    /// <exception cref="ArgumentException">A sequence is shorter than 3 ids, longer than max_seq_length, or holds an id outside the vocabulary.</exception>
    public IReadOnlyList<SentenceEmbedding> EmbedTokenIds(IReadOnlyList<int[]> inputIds, EmbeddingRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        RequireEncoder();
        request ??= EmbeddingRequest.Default;
        int limit = Model.Tokenizer.MaxSequenceLength;
        var encoded = new int[inputIds.Count][];
        for (int i = 0; i < encoded.Length; i++)
        {
            int[] ids = inputIds[i] ?? throw new ArgumentException($"inputIds[{i}] is null.", nameof(inputIds));
            if (ids.Length < 3 || ids.Length > limit)
            {
                throw new ArgumentException($"inputIds[{i}] has {ids.Length} ids; it needs 3 to {limit} ([CLS] and [SEP] included).", nameof(inputIds));
            }

            foreach (int id in ids)
            {
                if ((uint)id >= (uint)Tokenizer.VocabularySize)
                {
                    throw new ArgumentException($"inputIds[{i}] holds id {id}, outside the vocabulary of {Tokenizer.VocabularySize}.", nameof(inputIds));
                }
            }

            encoded[i] = ids;
        }

        return EmbedEncoded(encoded, new bool[encoded.Length], Resolve(request.Pooling), request.Normalize ?? Model.Normalize, cancellationToken);
    }

    /// <summary>One batch of texts (their positions), filled into the model's pooled input buffers.</summary>
    private delegate void BatchHandler(ReadOnlySpan<int> members, long[] ids, long[] mask, long[] types, int sequenceLength, int realTokens);

    /// <summary>
    /// Cuts <paramref name="order"/> into batches of the configured size, fills one set of pooled input buffers for
    /// each (padded to the batch's longest sequence) and hands it to <paramref name="handle"/>; returns how many batches ran.
    /// </summary>
    private int ForEachBatch(int[][] encoded, int[] order, BatchHandler handle, CancellationToken cancellationToken)
    {
        int count = encoded.Length;
        int batchSize = _options.BatchSize;
        int longest = count == 0 ? 0 : encoded[order[^1]].Length;
        int capacity = Math.Min(batchSize, Math.Max(count, 1)) * Math.Max(longest, 1);
        long[] ids = ArrayPool<long>.Shared.Rent(capacity);
        long[] mask = ArrayPool<long>.Shared.Rent(capacity);
        long[] types = ArrayPool<long>.Shared.Rent(capacity);
        Array.Clear(types, 0, capacity);
        int batches = 0;
        try
        {
            for (int first = 0; first < count; first += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ReadOnlySpan<int> members = order.AsSpan(first, Math.Min(batchSize, count - first));
                int sequenceLength = encoded[members[^1]].Length;
                int realTokens = FillBatch(encoded, members, sequenceLength, ids, mask);
                handle(members, ids, mask, types, sequenceLength, realTokens);
                batches++;
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(types);
        }

        return batches;
    }

    /// <summary>Checks and tokenizes every text; the exception names the text at fault.</summary>
    private (int[][] Encoded, bool[] Truncated) EncodeAll(IReadOnlyList<string> texts, int limit)
    {
        var encoded = new int[texts.Count][];
        var truncated = new bool[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            CheckText(texts[i], i);
            encoded[i] = Tokenizer.EncodeIds(texts[i], out truncated[i], limit);
            if (encoded[i].Length == 2)
            {
                throw NoTokens(i);
            }
        }

        return (encoded, truncated);
    }

    /// <summary>Positions sorted by sequence length (stable), so similar lengths share a batch and little of it is padding.</summary>
    private static int[] LengthOrder(int[][] encoded)
    {
        int[] order = new int[encoded.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => encoded[a].Length != encoded[b].Length ? encoded[a].Length.CompareTo(encoded[b].Length) : a.CompareTo(b));
        return order;
    }

    private SentenceEmbedding[] EmbedEncoded(int[][] encoded, bool[] truncated, PoolingMode pooling, bool normalize, CancellationToken cancellationToken)
    {
        OnnxSentenceEncoder encoder = RequireEncoder();
        int count = encoded.Length;
        // Similar lengths share a batch, so little of each batch is padding.
        int[] order = LengthOrder(encoded);

        var results = new SentenceEmbedding[count];
        int batches = ForEachBatch(encoded, order, (members, ids, mask, types, sequenceLength, realTokens) =>
        {
            using OrtValue output = encoder.Run(ids, mask, types, members.Length, sequenceLength, realTokens);
            ReadOnlySpan<float> hidden = output.GetTensorDataAsSpan<float>();
            int rowSize = sequenceLength * Model.HiddenSize;
            for (int row = 0; row < members.Length; row++)
            {
                int index = members[row];
                int tokenCount = encoded[index].Length;
                var vector = new float[Model.HiddenSize * PoolingModes.Count(pooling)];
                SentencePooler.Pool(hidden.Slice(row * rowSize, tokenCount * Model.HiddenSize), tokenCount, Model.HiddenSize, pooling, normalize, vector);
                results[index] = new SentenceEmbedding(vector, tokenCount, truncated[index]);
            }
        }, cancellationToken);

        Log.Embedded(_logger, count, batches);
        return results;
    }

    /// <summary>
    /// Runs each text through the model once, in length-sorted batches, and keeps every pooling of its token
    /// vectors (CLS, max, mean, mean-sqrt-len, not normalised) and <c>pooler_output</c> when the graph has it,
    /// so that poolings can be compared on exactly the same forward pass. Results come back in input order.
    /// </summary>
    /// <param name="texts">The texts.</param>
    /// <param name="maxSequenceLength">Truncation length (null: the model's).</param>
    /// <param name="progress">Receives the number of texts done after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="InvalidTextException">A text is empty, whitespace only, too long, or has no tokens.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between batches.</exception>
    public IReadOnlyList<PooledText> EmbedAllPoolings(IReadOnlyList<string> texts, int? maxSequenceLength = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        OnnxSentenceEncoder encoder = RequireEncoder();
        int limit = ResolveLength(maxSequenceLength);
        (int[][] encoded, bool[] truncated) = EncodeAll(texts, limit);
        int count = encoded.Length;

        int[] order = LengthOrder(encoded);
        const PoolingMode everyMode = PoolingMode.Cls | PoolingMode.Max | PoolingMode.Mean | PoolingMode.MeanSqrtLen;
        int hidden = Model.HiddenSize;
        var results = new PooledText[count];
        int done = 0;
        ForEachBatch(encoded, order, (members, ids, mask, types, sequenceLength, realTokens) =>
        {
            using IDisposableReadOnlyCollection<OrtValue> outputs = encoder.RunWithPooler(ids, mask, types, members.Length, sequenceLength, realTokens);
            ReadOnlySpan<float> tokenVectors = outputs[0].GetTensorDataAsSpan<float>();
            ReadOnlySpan<float> pooler = outputs.Count > 1 ? outputs[1].GetTensorDataAsSpan<float>() : default;
            int rowSize = sequenceLength * hidden;
            for (int row = 0; row < members.Length; row++)
            {
                int index = members[row];
                int tokenCount = encoded[index].Length;
                var vectors = new float[hidden * 4];
                SentencePooler.Pool(tokenVectors.Slice(row * rowSize, tokenCount * hidden), tokenCount, hidden, everyMode, normalize: false, vectors);
                float[]? poolerVector = pooler.IsEmpty ? null : pooler.Slice(row * hidden, hidden).ToArray();
                results[index] = new PooledText(vectors, poolerVector, encoded[index], truncated[index], hidden);
            }

            done += members.Length;
            progress?.Report(done);
        }, cancellationToken);

        return results;
    }

    /// <summary>Embeds texts on the thread pool.</summary>
    public Task<IReadOnlyList<SentenceEmbedding>> EmbedAsync(IReadOnlyList<string> texts, EmbeddingRequest? request = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Embed(texts, request, cancellationToken), cancellationToken);

    /// <summary>The transformer's vector for every token of one text (the notebook's per-token view).</summary>
    /// <exception cref="InvalidTextException">The text is empty, whitespace only, too long, or has no tokens.</exception>
    public TokenEmbeddings EmbedTokens(string text, int? maxSequenceLength = null)
    {
        OnnxSentenceEncoder encoder = RequireEncoder();
        TokenizedText tokens = Tokenize(text, maxSequenceLength);
        int length = tokens.InputIds.Count;
        var ids = new long[length];
        var mask = new long[length];
        var types = new long[length];
        for (int i = 0; i < length; i++)
        {
            ids[i] = tokens.InputIds[i];
            mask[i] = 1;
        }

        using OrtValue output = encoder.Run(ids, mask, types, 1, length, length);
        float[] vectors = output.GetTensorDataAsSpan<float>()[..(length * Model.HiddenSize)].ToArray();
        return new TokenEmbeddings(tokens, vectors, Model.HiddenSize);
    }

    /// <inheritdoc />
    public void Dispose() => _encoder?.Dispose();

    private static int FillBatch(int[][] encoded, ReadOnlySpan<int> members, int sequenceLength, long[] ids, long[] mask)
    {
        int realTokens = 0;
        for (int row = 0; row < members.Length; row++)
        {
            int[] source = encoded[members[row]];
            Span<long> idRow = ids.AsSpan(row * sequenceLength, sequenceLength);
            Span<long> maskRow = mask.AsSpan(row * sequenceLength, sequenceLength);
            for (int i = 0; i < source.Length; i++)
            {
                idRow[i] = source[i];
            }

            // [PAD] is id 0 in BERT vocabularies; the mask hides padding whatever its id.
            idRow[source.Length..].Clear();
            maskRow[..source.Length].Fill(1);
            maskRow[source.Length..].Clear();
            realTokens += source.Length;
        }

        return realTokens;
    }

    private PoolingMode Resolve(PoolingMode? pooling) =>
        pooling is { } p && p != PoolingMode.None ? p : Model.Pooling;

    private int ResolveLength(int? maxSequenceLength)
    {
        int modelLimit = Model.Tokenizer.MaxSequenceLength;
        if (maxSequenceLength is not { } requested)
        {
            return modelLimit;
        }

        return requested >= 2 && requested <= modelLimit
            ? requested
            : throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), requested, $"max_seq_length must be between 2 and the model's {modelLimit}.");
    }

    private void CheckText(string? text, int index)
    {
        if (text is null)
        {
            throw new InvalidTextException(index, "is null");
        }

        if (text.Length == 0)
        {
            throw new InvalidTextException(index, "is empty");
        }

        if (text.Length > _options.MaxTextLength)
        {
            throw new TextTooLongException(index, text.Length, _options.MaxTextLength);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw new InvalidTextException(index, "is only whitespace");
        }
    }

    private static InvalidTextException NoTokens(int index) =>
        new(index, "has no tokens after normalisation (only control or format characters)");

    private OnnxSentenceEncoder RequireEncoder() => _encoder
        ?? throw new InvalidOperationException($"The model folder {Model.Source} has no model.onnx: it can tokenize but not embed.");
}
