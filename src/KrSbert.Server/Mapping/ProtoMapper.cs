using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using KrSbert.Embedding.Pooling;
using KrSbert.Index;
using KrSbert.Protos.V1;
using KrSbert.Search.Chunking;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Filtering;
using KrSbert.Search.Querying;
using KrSbert.Storage.Documents;
using ProtoCollectionInfo = KrSbert.Protos.V1.CollectionInfo;
using ProtoStoredDocument = KrSbert.Protos.V1.StoredDocument;

namespace KrSbert.Server.Mapping;

/// <summary>Translates between the wire types of <c>krsbert.v1</c> and the engine's, naming request fields in errors.</summary>
internal static class ProtoMapper
{
    public static CollectionDefinition ToDefinition(CreateCollectionRequest request, int modelWindow)
    {
        ChunkingOptions? chunking = request.HasChunkTokens || request.HasChunkOverlap
            ? new ChunkingOptions(request.HasChunkTokens ? Int("chunk_tokens", request.ChunkTokens) : modelWindow, request.HasChunkOverlap ? Int("chunk_overlap", request.ChunkOverlap) : 32)
            : null;
        return new CollectionDefinition
        {
            Name = request.Name,
            Metric = request.Metric switch
            {
                Protos.V1.Metric.Unspecified or Protos.V1.Metric.Cosine => VectorMetric.Cosine,
                Protos.V1.Metric.InnerProduct => VectorMetric.InnerProduct,
                Protos.V1.Metric.L2 => VectorMetric.L2,
                _ => throw new ArgumentException($"metric {(int)request.Metric} is not a Metric value.", nameof(request)),
            },
            M = request.HasM ? Int("m", request.M) : 16,
            EfConstruction = request.HasEfConstruction ? Int("ef_construction", request.EfConstruction) : 200,
            EfSearch = request.HasEfSearch ? Int("ef_search", request.EfSearch) : 64,
            Pooling = string.IsNullOrEmpty(request.Pooling) ? null : PoolingModes.Parse(request.Pooling),
            Normalize = request.HasNormalize ? request.Normalize : null,
            IndexStorage = request.IndexStorage switch
            {
                Protos.V1.IndexStorage.Unspecified or Protos.V1.IndexStorage.F32 => VectorStorage.F32,
                Protos.V1.IndexStorage.F16 => VectorStorage.F16,
                Protos.V1.IndexStorage.I8 => VectorStorage.I8,
                _ => throw new ArgumentException($"index_storage {(int)request.IndexStorage} is not an IndexStorage value.", nameof(request)),
            },
            Chunking = chunking,
            Dimension = request.HasDimension ? Int("dimension", request.Dimension) : null,
            ModelPrecision = string.IsNullOrEmpty(request.ModelPrecision) ? null
                : Embedding.Models.ModelPrecisions.TryParse(request.ModelPrecision, out var precision) ? precision
                : throw new ArgumentException($"model_precision '{request.ModelPrecision}' is not fp32 or int8.", nameof(request)),
            Bm25 = Search.Lexical.Bm25.Default.With(request.HasBm25K1 ? request.Bm25K1 : null, request.HasBm25B ? request.Bm25B : null),
        };
    }

    public static ProtoCollectionInfo ToProto(Search.Collections.CollectionInfo info)
    {
        var s = info.Record.Settings;
        var proto = new ProtoCollectionInfo
        {
            Name = info.Name,
            Model = s.ModelName,
            Dimension = (uint)s.Dimension,
            Pooling = s.Pooling,
            Normalize = s.Normalize,
            Metric = s.Metric switch { "inner_product" => Protos.V1.Metric.InnerProduct, "l2" => Protos.V1.Metric.L2, _ => Protos.V1.Metric.Cosine },
            M = (uint)s.M,
            EfConstruction = (uint)s.EfConstruction,
            EfSearch = (uint)s.EfSearch,
            IndexStorage = s.IndexStorage switch { "f16" => Protos.V1.IndexStorage.F16, "i8" => Protos.V1.IndexStorage.I8, _ => Protos.V1.IndexStorage.F32 },
            ChunkTokens = (uint)s.ChunkTokens,
            ChunkOverlap = (uint)s.ChunkOverlap,
            ModelPrecision = s.ModelPrecision,
            CreatedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(info.Record.CreatedAt, DateTimeKind.Utc)),
            Documents = (ulong)info.Record.DocumentCount,
            Chunks = (ulong)info.Record.ChunkCount,
            IndexedVectors = (ulong)info.IndexedVectors,
            Sequence = (ulong)info.AppliedSequence,
            SnapshotSequence = (ulong)info.SnapshotSequence,
            TextSearchable = info.TextSearchable,
            State = info.State == Search.Collections.CollectionState.Ready ? Protos.V1.CollectionState.Ready : Protos.V1.CollectionState.Failed,
            StateReason = info.StateReason ?? "",
            SkippedDocuments = (ulong)info.SkippedDocuments,
            Bm25K1 = s.Bm25K1,
            Bm25B = s.Bm25B,
        };
        if (info.SnapshotAt is { } at)
        {
            proto.SnapshotAt = Timestamp.FromDateTime(DateTime.SpecifyKind(at, DateTimeKind.Utc));
        }

        return proto;
    }

    public static DocumentInput ToInput(Document document) => new(
        string.IsNullOrEmpty(document.Id) ? null : document.Id,
        string.IsNullOrEmpty(document.Text) ? null : document.Text,
        document.Vector.Count == 0 ? null : [.. document.Vector],
        document.Metadata.Count == 0 ? null : new Dictionary<string, string>(document.Metadata));

    public static ProtoStoredDocument ToProto(Storage.Documents.StoredDocument document, bool withVectors)
    {
        var proto = new ProtoStoredDocument { Id = document.Id, Text = document.Text, Sequence = (ulong)document.Sequence };
        foreach ((string key, string value) in document.Metadata)
        {
            proto.Metadata[key] = value;
        }
        foreach (StoredChunk chunk in document.Chunks)
        {
            var c = new Chunk { Start = (uint)chunk.Start, End = (uint)chunk.End };
            c.TokenIds.AddRange(chunk.TokenIds);
            if (withVectors)
            {
                c.Vector.AddRange(chunk.Vector);
            }

            proto.Chunks.Add(c);
        }

        return proto;
    }

    public static MetadataFilter ToFilter(Filter? filter) =>
        filter is null || filter.Must.Count == 0
            ? MetadataFilter.None
            : new MetadataFilter(filter.Must.Select(c => new MetadataCondition(c.Key, [.. c.AnyOf])).ToList());

    public static SearchRequest ToSearch(QueryRequest request) => new()
    {
        Text = string.IsNullOrEmpty(request.Text) ? null : request.Text,
        Vector = request.Vector.Count == 0 ? null : [.. request.Vector],
        TopK = request.TopK == 0 ? 10 : Int("top_k", request.TopK),
        ScoreThreshold = request.HasScoreThreshold ? request.ScoreThreshold : null,
        Filter = ToFilter(request.Filter),
        EfSearch = request.HasEfSearch ? Int("ef_search", request.EfSearch) : null,
        Exact = request.Exact,
        IncludeText = request.Include?.Text ?? true,
        IncludeMetadata = request.Include?.Metadata ?? true,
        Mode = ToMode(request.Mode),
        Candidates = request.HasCandidates ? Int("candidates", request.Candidates) : null,
        Fusion = ToFusion(request.Fusion),
        Explain = request.Explain,
        Bm25K1 = request.HasBm25K1 ? request.Bm25K1 : null,
        Bm25B = request.HasBm25B ? request.Bm25B : null,
    };

    public static QueryMode ToMode(string mode) => mode switch
    {
        "" or "dense" => QueryMode.Dense,
        "lexical" => QueryMode.Lexical,
        "hybrid" => QueryMode.Hybrid,
        _ => throw new ArgumentException($"mode is '{mode}'; it must be dense, lexical or hybrid.", nameof(mode)),
    };

    public static Search.Querying.Fusion ToFusion(Protos.V1.Fusion? fusion)
    {
        var defaults = new Search.Querying.Fusion();
        return fusion is null ? defaults : new Search.Querying.Fusion
        {
            Method = fusion.Method switch
            {
                "rrf" => FusionMethod.Rrf,
                "" or "convex" => FusionMethod.Convex,
                _ => throw new ArgumentException($"fusion is '{fusion.Method}'; it must be rrf or convex.", nameof(fusion)),
            },
            RrfK = fusion.HasRrfK ? fusion.RrfK : defaults.RrfK,
            DenseWeight = fusion.HasDenseWeight ? fusion.DenseWeight : defaults.DenseWeight,
            LexicalWeight = fusion.HasLexicalWeight ? fusion.LexicalWeight : defaults.LexicalWeight,
            Alpha = fusion.HasAlpha ? fusion.Alpha : defaults.Alpha,
        };
    }

    public static QueryResponse ToProto(SearchResult result)
    {
        var response = new QueryResponse
        {
            Timings = new Timings
            {
                EmbeddingMs = result.EmbeddingTime.TotalMilliseconds,
                SearchMs = result.SearchTime.TotalMilliseconds,
                TotalMs = result.TotalTime.TotalMilliseconds,
            },
        };
        foreach (SearchHit hit in result.Hits)
        {
            var proto = new Hit
            {
                Id = hit.Id,
                Score = hit.Score,
                Text = hit.Text ?? "",
                ChunkIndex = (uint)hit.ChunkIndex,
                ChunkStart = (uint)hit.ChunkStart,
                ChunkEnd = (uint)hit.ChunkEnd,
                Dense = ToProto(hit.Explanation?.Dense),
                Lexical = ToProto(hit.Explanation?.Lexical),
            };
            if (hit.Metadata is { } metadata)
            {
                foreach ((string key, string value) in metadata)
                {
                    proto.Metadata[key] = value;
                }
            }

            response.Hits.Add(proto);
        }

        return response;
    }

    private static Protos.V1.LegScore? ToProto(Search.Querying.LegScore? leg) =>
        leg is null ? null : new Protos.V1.LegScore { Rank = (uint)leg.Rank, Score = leg.Score };

    public static void AddRange(RepeatedField<long> field, IEnumerable<int> values) => field.AddRange(values.Select(v => (long)v));

    /// <summary>A uint field as int, refusing values that do not fit.</summary>
    public static int Int(string field, uint value) =>
        value <= int.MaxValue ? (int)value : throw new ArgumentException($"{field} is {value}, too large.", field);
}
