using System.Text.Json;
using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tokenization;

namespace KrSbert.Embedding.Models;

/// <summary>
/// Reads a sentence-transformers model folder (<c>modules.json</c>, <c>sentence_bert_config.json</c>,
/// <c>config.json</c>, tokenizer files, <c>vocab.txt</c>, <c>1_Pooling/config.json</c>, optional Normalize
/// module) plus <c>model.onnx</c> at the root or in <c>onnx/</c>, and <c>model.int8.onnx</c> beside it when present.
/// A folder without <c>model.onnx</c> still tokenizes.
/// </summary>
public static class ModelFolder
{
    private const string ModulesFile = "modules.json";

    /// <summary>Reads and checks a folder.</summary>
    /// <exception cref="ModelFolderException">A file is missing, unreadable or inconsistent; the message names it and the field.</exception>
    public static SentenceModelDefinition Read(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new ModelFolderException(directory, null, "the model folder does not exist");
        }

        var modules = ReadModules(root);
        string transformerDir = modules.TransformerPath is { Length: > 0 } path && Directory.Exists(Path.Combine(root, path))
            ? Path.Combine(root, path)
            : root;

        string vocabulary = FindFile(root, transformerDir, "vocab.txt")
            ?? throw new ModelFolderException("vocab.txt", null, "is missing (looked in the folder and in its Transformer module folder)");

        using JsonFile sbertConfig = OpenIn(root, transformerDir, "sentence_bert_config.json");
        using JsonFile config = OpenIn(root, transformerDir, "config.json");
        using JsonFile? tokenizerConfig = TryOpenIn(root, transformerDir, "tokenizer_config.json");
        using JsonFile? specialTokensMap = TryOpenIn(root, transformerDir, "special_tokens_map.json");

        string? modelType = config.OptionalString("model_type");
        if (modelType is not null && modelType != "bert")
        {
            throw new ModelFolderException(config.DisplayName, "model_type", $"is '{modelType}'; only BERT models (WordPiece tokenizer) are supported");
        }

        int hiddenSize = config.RequireInt("hidden_size");
        int maxSequenceLength = sbertConfig.RequireInt("max_seq_length");
        int? maxPositions = config.OptionalInt("max_position_embeddings");
        if (maxSequenceLength < 2 || (maxPositions is { } positions && maxSequenceLength > positions))
        {
            throw new ModelFolderException(sbertConfig.DisplayName, "max_seq_length", $"is {maxSequenceLength}; it must be between 2 and config.json max_position_embeddings ({maxPositions?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"})");
        }

        if (sbertConfig.OptionalBool("do_lower_case") == true)
        {
            throw new ModelFolderException(sbertConfig.DisplayName, "do_lower_case", "is true; lower-casing before the tokenizer is not supported (set the tokenizer's do_lower_case instead)");
        }

        using JsonFile poolingConfig = JsonFile.Open(Path.Combine(root, modules.PoolingPath, "config.json"), $"{modules.PoolingPath}/config.json");
        (PoolingMode pooling, int poolingDimension) = ReadPooling(poolingConfig);
        if (poolingDimension != hiddenSize)
        {
            throw new ModelFolderException(poolingConfig.DisplayName, "word_embedding_dimension", $"is {poolingDimension} but config.json hidden_size is {hiddenSize}");
        }

        BertNormalizerOptions normalizer = ReadNormalizer(root, transformerDir, tokenizerConfig);
        TokenizerSpecialTokens specialTokens = ReadSpecialTokens(specialTokensMap);

        string? onnx = new[] { Path.Combine(root, "model.onnx"), Path.Combine(root, "onnx", "model.onnx"), Path.Combine(transformerDir, "model.onnx") }
            .FirstOrDefault(File.Exists);
        string? int8 = onnx is null ? null : Path.Combine(Path.GetDirectoryName(onnx)!, ModelPrecisions.FileName(ModelPrecision.Int8));

        return new SentenceModelDefinition
        {
            Name = Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)),
            Source = root,
            OpenVocabulary = () => File.OpenRead(vocabulary),
            Tokenizer = new WordPieceTokenizerOptions { Normalizer = normalizer, SpecialTokens = specialTokens, MaxSequenceLength = maxSequenceLength },
            HiddenSize = hiddenSize,
            Shape = ReadShape(config, hiddenSize),
            Pooling = pooling,
            Normalize = modules.Normalize,
            Onnx = onnx is null ? null : new OnnxModelSource.File(onnx),
            Int8Onnx = int8 is not null && File.Exists(int8) ? new OnnxModelSource.File(int8) : null,
        };
    }

    private static (string TransformerPath, string PoolingPath, bool Normalize) ReadModules(string root)
    {
        using JsonFile modules = JsonFile.Open(Path.Combine(root, ModulesFile), ModulesFile);
        if (modules.Root.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFolderException(ModulesFile, null, "must be a JSON array of modules");
        }

        string? transformer = null;
        string? pooling = null;
        bool normalize = false;
        foreach (JsonElement module in modules.Root.EnumerateArray())
        {
            string type = module.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "";
            string path = module.TryGetProperty("path", out JsonElement p) ? p.GetString() ?? "" : "";
            switch (type.Split('.')[^1])
            {
                case "Transformer":
                    transformer = path;
                    break;
                case "Pooling":
                    pooling = path;
                    break;
                case "Normalize":
                    normalize = true;
                    break;
                default:
                    throw new ModelFolderException(ModulesFile, "type", $"module '{type}' is not supported (supported: Transformer, Pooling, Normalize)");
            }
        }

        if (transformer is null)
        {
            throw new ModelFolderException(ModulesFile, "type", "lists no sentence_transformers.models.Transformer module");
        }

        if (pooling is null)
        {
            throw new ModelFolderException(ModulesFile, "type", "lists no sentence_transformers.models.Pooling module");
        }

        return (transformer, pooling.Length == 0 ? "1_Pooling" : pooling, normalize);
    }

    private static (PoolingMode Modes, int Dimension) ReadPooling(JsonFile pooling)
    {
        foreach (string unsupported in new[] { "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken" })
        {
            if (pooling.OptionalBool(unsupported) == true)
            {
                throw new ModelFolderException(pooling.DisplayName, unsupported, "is true; only cls, max, mean and mean_sqrt_len pooling are supported");
            }
        }

        PoolingMode modes = PoolingMode.None;
        if (pooling.OptionalBool("pooling_mode_cls_token") == true)
        {
            modes |= PoolingMode.Cls;
        }

        if (pooling.OptionalBool("pooling_mode_max_tokens") == true)
        {
            modes |= PoolingMode.Max;
        }

        if (pooling.OptionalBool("pooling_mode_mean_tokens") == true)
        {
            modes |= PoolingMode.Mean;
        }

        if (pooling.OptionalBool("pooling_mode_mean_sqrt_len_tokens") == true)
        {
            modes |= PoolingMode.MeanSqrtLen;
        }

        if (modes == PoolingMode.None)
        {
            throw new ModelFolderException(pooling.DisplayName, "pooling_mode_mean_tokens", "no pooling mode is enabled");
        }

        return (modes, pooling.RequireInt("word_embedding_dimension"));
    }

    /// <summary>tokenizer.json's normalizer is what the fast tokenizer runs; tokenizer_config.json is the fallback.</summary>
    private static BertNormalizerOptions ReadNormalizer(string root, string transformerDir, JsonFile? tokenizerConfig)
    {
        string? tokenizerJson = FindFile(root, transformerDir, "tokenizer.json");
        if (tokenizerJson is not null)
        {
            using JsonFile file = JsonFile.Open(tokenizerJson, "tokenizer.json");
            if (file.Root.TryGetProperty("normalizer", out JsonElement normalizer) && normalizer.ValueKind == JsonValueKind.Object)
            {
                string? type = normalizer.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
                if (type != "BertNormalizer")
                {
                    throw new ModelFolderException("tokenizer.json", "normalizer.type", $"is '{type}'; only BertNormalizer is supported");
                }

                bool lowercase = Flag(normalizer, "lowercase") ?? true;
                return new BertNormalizerOptions(
                    Lowercase: lowercase,
                    StripAccents: Flag(normalizer, "strip_accents") ?? lowercase,
                    CleanText: Flag(normalizer, "clean_text") ?? true,
                    HandleChineseChars: Flag(normalizer, "handle_chinese_chars") ?? true);
            }
        }

        // Hugging Face's BertTokenizer lower-cases unless told otherwise.
        bool doLowerCase = tokenizerConfig?.OptionalBool("do_lower_case") ?? true;
        return new BertNormalizerOptions(
            Lowercase: doLowerCase,
            StripAccents: tokenizerConfig?.OptionalBool("strip_accents") ?? doLowerCase,
            CleanText: true,
            HandleChineseChars: tokenizerConfig?.OptionalBool("tokenize_chinese_chars") ?? true);

        static bool? Flag(JsonElement element, string name) =>
            element.TryGetProperty(name, out JsonElement value) ? value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                _ => throw new ModelFolderException("tokenizer.json", $"normalizer.{name}", $"must be true, false or null, found {value.GetRawText()}"),
            } : null;
    }

    private static TokenizerSpecialTokens ReadSpecialTokens(JsonFile? map)
    {
        var defaults = new TokenizerSpecialTokens();
        if (map is null)
        {
            return defaults;
        }

        return new TokenizerSpecialTokens(
            Unknown: Token("unk_token") ?? defaults.Unknown,
            Separator: Token("sep_token") ?? defaults.Separator,
            Padding: Token("pad_token") ?? defaults.Padding,
            Classification: Token("cls_token") ?? defaults.Classification,
            Mask: Token("mask_token") ?? defaults.Mask);

        string? Token(string field)
        {
            if (!map.Root.TryGetProperty(field, out JsonElement value))
            {
                return null;
            }

            // Newer files write {"content": "[UNK]", ...} instead of a plain string.
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object when value.TryGetProperty("content", out JsonElement content) => content.GetString(),
                _ => throw new ModelFolderException(map.DisplayName, field, "must be a string or an object with 'content'"),
            };
        }
    }

    private static TransformerShape? ReadShape(JsonFile config, int hiddenSize)
    {
        int? layers = config.OptionalInt("num_hidden_layers");
        int? intermediate = config.OptionalInt("intermediate_size");
        int? heads = config.OptionalInt("num_attention_heads");
        return layers is { } l && intermediate is { } i && heads is { } h ? new TransformerShape(l, hiddenSize, i, h) : null;
    }

    private static string? FindFile(string root, string transformerDir, string name) =>
        new[] { Path.Combine(transformerDir, name), Path.Combine(root, name) }.FirstOrDefault(File.Exists);

    private static JsonFile OpenIn(string root, string transformerDir, string name) =>
        TryOpenIn(root, transformerDir, name) ?? throw new ModelFolderException(name, null, "is missing (looked in the folder and in its Transformer module folder)");

    private static JsonFile? TryOpenIn(string root, string transformerDir, string name) =>
        FindFile(root, transformerDir, name) is { } path ? JsonFile.Open(path, name) : null;
}
