using KrSbert.Embedding.Pooling;
using Microsoft.Extensions.AI;

namespace KrSbert.Embedding;

/// <summary>
/// The engine as a Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, so .NET AI code
/// (vector-store connectors, RAG pipelines) can use it directly. Pooling and normalisation can be set per call
/// through <see cref="EmbeddingGenerationOptions.AdditionalProperties"/> keys <c>pooling</c> and <c>normalize</c>.
/// </summary>
public sealed class KrSbertEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The additional-property key that selects pooling modes (<c>"cls"</c>, <c>"mean+max"</c>, …).</summary>
    public const string PoolingProperty = "pooling";

    /// <summary>The additional-property key that turns L2 normalisation on or off.</summary>
    public const string NormalizeProperty = "normalize";

    private readonly SentenceEmbedder _embedder;
    private readonly bool _ownsEmbedder;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Wraps an embedder; disposes it with this generator when <paramref name="ownsEmbedder"/> is true.</summary>
    public KrSbertEmbeddingGenerator(SentenceEmbedder embedder, bool ownsEmbedder = false)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        _embedder = embedder;
        _ownsEmbedder = ownsEmbedder;
        _metadata = new EmbeddingGeneratorMetadata("KrSbert", null, embedder.Model.Name, embedder.Model.Dimension);
    }

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        EmbeddingRequest request = ToRequest(options);
        if (options?.Dimensions is { } dimensions && dimensions != _embedder.DimensionOf(request.Pooling))
        {
            throw new ArgumentException($"This model produces {_embedder.DimensionOf(request.Pooling)} dimensions; {dimensions} were asked for.", nameof(options));
        }

        string[] texts = values as string[] ?? values.ToArray();
        IReadOnlyList<SentenceEmbedding> vectors = await _embedder.EmbedAsync(texts, request, cancellationToken).ConfigureAwait(false);
        DateTimeOffset created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Count)
        {
            Usage = new UsageDetails { InputTokenCount = vectors.Sum(v => (long)v.TokenCount) },
        };
        foreach (SentenceEmbedding vector in vectors)
        {
            result.Add(new Embedding<float>(vector.Vector) { ModelId = _embedder.Model.Name, CreatedAt = created });
        }

        return result;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return _metadata;
        }

        if (serviceType.IsInstanceOfType(_embedder))
        {
            return _embedder;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsEmbedder)
        {
            _embedder.Dispose();
        }
    }

    private static EmbeddingRequest ToRequest(EmbeddingGenerationOptions? options)
    {
        if (options?.AdditionalProperties is not { } properties)
        {
            return EmbeddingRequest.Default;
        }

        PoolingMode? pooling = properties.TryGetValue(PoolingProperty, out object? p) && p is not null
            ? p switch
            {
                PoolingMode mode => mode,
                string name => PoolingModes.Parse(name),
                _ => throw new ArgumentException($"'{PoolingProperty}' must be a PoolingMode or a name such as \"mean\".", nameof(options)),
            }
            : null;
        bool? normalize = properties.TryGetValue(NormalizeProperty, out object? n) && n is not null
            ? n as bool? ?? throw new ArgumentException($"'{NormalizeProperty}' must be true or false.", nameof(options))
            : null;
        return new EmbeddingRequest { Pooling = pooling, Normalize = normalize };
    }
}
