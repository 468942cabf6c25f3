using Grpc.Core;
using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Protos.V1;
using KrSbert.Search;
using KrSbert.Server.Hosting;
using KrSbert.Server.Mapping;
using KrSbert.Server.Options;
using Microsoft.Extensions.Options;

namespace KrSbert.Server.Services;

/// <summary><c>krsbert.v1.Embeddings</c>: the notebook's views (vectors in any pooling, tokenizer output, per-token vectors).</summary>
internal sealed class EmbeddingsService(EngineHost host, IOptions<ServerOptions> options) : Embeddings.EmbeddingsBase
{
    public override async Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context)
    {
        int limit = options.Value.Limits.MaxBatchItems;
        if (request.Texts.Count > limit)
        {
            throw new LimitExceededException("texts", request.Texts.Count, limit);
        }

        if (request.Texts.Count == 0)
        {
            throw new ArgumentException("texts is empty; give at least one text to embed.", nameof(request));
        }

        SentenceEmbedder embedder = host.Embedder;
        var embedding = new EmbeddingRequest
        {
            Pooling = string.IsNullOrEmpty(request.Pooling) ? null : PoolingModes.Parse(request.Pooling),
            Normalize = request.HasNormalize ? request.Normalize : null,
            MaxSequenceLength = request.HasMaxSeqLength ? ProtoMapper.Int("max_seq_length", request.MaxSeqLength) : null,
        };
        IReadOnlyList<SentenceEmbedding> vectors = request.Texts.Count == 1
            ? [await host.Batcher.EmbedAsync(request.Texts[0], embedding, context.CancellationToken)]
            : await embedder.EmbedAsync(request.Texts, embedding, context.CancellationToken);
        var response = new EmbedResponse { Dimension = (uint)embedder.DimensionOf(embedding.Pooling), Model = embedder.Model.Name };
        foreach (SentenceEmbedding vector in vectors)
        {
            var proto = new Vector { TokenCount = (uint)vector.TokenCount, Truncated = vector.Truncated };
            proto.Values.AddRange(vector.Vector);
            response.Vectors.Add(proto);
        }

        return response;
    }

    public override Task<TokenizeResponse> Tokenize(TokenizeRequest request, ServerCallContext context)
    {
        var tokens = host.Embedder.Tokenize(request.Text, request.HasMaxSeqLength ? ProtoMapper.Int("max_seq_length", request.MaxSeqLength) : null);
        var response = new TokenizeResponse { Truncated = tokens.Truncated };
        response.Tokens.AddRange(tokens.Tokens);
        ProtoMapper.AddRange(response.InputIds, tokens.InputIds);
        ProtoMapper.AddRange(response.AttentionMask, tokens.AttentionMask);
        ProtoMapper.AddRange(response.TokenTypeIds, tokens.TokenTypeIds);
        response.Offsets.AddRange(tokens.Offsets.Select(o => new Offset { Start = (uint)o.Start, End = (uint)o.End }));
        return Task.FromResult(response);
    }

    public override async Task<TokenEmbeddingsResponse> TokenEmbeddings(TokenEmbeddingsRequest request, ServerCallContext context)
    {
        SentenceEmbedder embedder = host.Embedder;
        int? length = request.HasMaxSeqLength ? ProtoMapper.Int("max_seq_length", request.MaxSeqLength) : null;
        var vectors = await Task.Run(() => embedder.EmbedTokens(request.Text, length), context.CancellationToken);
        var response = new TokenEmbeddingsResponse { Dimension = (uint)vectors.Dimension };
        response.Tokens.AddRange(vectors.Tokens.Tokens);
        ProtoMapper.AddRange(response.InputIds, vectors.Tokens.InputIds);
        response.Offsets.AddRange(vectors.Tokens.Offsets.Select(o => new Offset { Start = (uint)o.Start, End = (uint)o.End }));
        for (int i = 0; i < vectors.Count; i++)
        {
            var row = new Vector { TokenCount = 1 };
            row.Values.AddRange(vectors[i].ToArray());
            response.Vectors.Add(row);
        }

        return response;
    }
}
