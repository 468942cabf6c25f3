using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Search.Chunking;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Filtering;
using KrSbert.Search.Indexing;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Search;

public sealed partial class SearchEngine
{
    /// <summary>
    /// Stores documents: text is split into token windows and embedded; vectors are checked and kept as
    /// given. The batch is written atomically and then indexed, in sequence order with other writers.
    /// With <paramref name="allOrNothing"/>, one invalid document rejects the request
    /// (<see cref="InvalidDocumentsException"/>); otherwise invalid ones are reported and the rest stored.
    /// Within one request the same id may appear twice: the last wins.
    /// </summary>
    public async Task<UpsertResult> UpsertAsync(string collection, IReadOnlyList<DocumentInput> documents, bool allOrNothing = true, CancellationToken cancellationToken = default)
    {
        PreparedUpsert prepared = await PrepareUpsertAsync(collection, documents, allOrNothing, cancellationToken).ConfigureAwait(false);
        return await CommitAsync(prepared, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The first half of <see cref="UpsertAsync"/>: checks, chunks and embeds, writing nothing. A stream can
    /// prepare its next batch while the previous one commits; commits must be awaited in order.
    /// </summary>
    public async Task<PreparedUpsert> PrepareUpsertAsync(string collection, IReadOnlyList<DocumentInput> documents, bool allOrNothing = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (documents.Count > _options.MaxDocumentsPerRequest)
        {
            throw new LimitExceededException("documents", documents.Count, _options.MaxDocumentsPerRequest);
        }

        CollectionIndex target = Require(collection);
        CollectionSettings settings = target.Record.Settings;
        var failures = new List<DocumentFailure>();
        var writes = new List<DocumentWrite>(documents.Count);
        var textDocuments = new List<(int Index, string Id, DocumentInput Input, IReadOnlyList<TextChunk> Chunks)>();
        for (int i = 0; i < documents.Count; i++)
        {
            DocumentInput input = documents[i];
            string id = input.Id ?? Guid.NewGuid().ToString("N");
            if (Check(i, id, input, settings) is { } failure)
            {
                failures.Add(failure);
                continue;
            }

            if (input.Vector is { } vector)
            {
                writes.Add(new DocumentWrite.Upsert(id, input.Text ?? "", Metadata(input), [new StoredChunk(0, input.Text?.Length ?? 0, [], vector)]));
            }
            else
            {
                var chunks = TokenWindowChunker.Split(Embedder!.Tokenizer, input.Text!, new ChunkingOptions(settings.ChunkTokens, settings.ChunkOverlap));
                if (chunks[0].InputIds.Length <= 2)
                {
                    failures.Add(new DocumentFailure(i, id, "text", "has no tokens after normalisation (only control or format characters)"));
                    continue;
                }

                if (chunks.Count > DocumentKeys.MaxChunks)
                {
                    failures.Add(new DocumentFailure(i, id, "text", $"splits into {chunks.Count} chunks; the limit is {DocumentKeys.MaxChunks}"));
                    continue;
                }

                textDocuments.Add((writes.Count, id, input, chunks));
                writes.Add(null!);
            }
        }

        if (failures.Count > 0 && allOrNothing)
        {
            throw failures.FirstOrDefault(f => f.OverLimit) is { } overLimit
                ? new LimitExceededException($"documents[{overLimit.Index}].{overLimit.Field} length", TextLength(documents[overLimit.Index]), Embedder!.MaxTextLength)
                : new InvalidDocumentsException(failures);
        }

        await EmbedChunksAsync(textDocuments, writes, settings, cancellationToken).ConfigureAwait(false);
        return new PreparedUpsert(target, writes, failures);
    }

    /// <summary>The second half of <see cref="UpsertAsync"/>: writes a prepared batch atomically and indexes it.</summary>
    public async Task<UpsertResult> CommitAsync(PreparedUpsert prepared, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        BatchResult result = await WriteAsync(prepared.Target, prepared.Writes, cancellationToken).ConfigureAwait(false);
        return new UpsertResult(prepared.Writes.Select(w => w.Id).ToList(), prepared.Failures, result.Sequence);
    }

    /// <summary>Deletes documents by id; returns how many existed.</summary>
    public async Task<int> DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count > _options.MaxDocumentsPerRequest)
        {
            throw new LimitExceededException("ids", ids.Count, _options.MaxDocumentsPerRequest);
        }

        CollectionIndex target = Require(collection);
        BatchResult result = await WriteAsync(target, ids.Select(id => (DocumentWrite)new DocumentWrite.Delete(id)).ToList(), cancellationToken).ConfigureAwait(false);
        return result.Deleted;
    }

    /// <summary>Deletes every document whose metadata matches <paramref name="filter"/>; returns how many.</summary>
    public async Task<int> DeleteByFilterAsync(string collection, MetadataFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        filter.Validate();
        if (filter.IsEmpty)
        {
            throw new ArgumentException("filter has no condition; delete the collection to remove everything.", nameof(filter));
        }

        CollectionIndex target = Require(collection);
        string[] ids = target.Catalog.Entries.Where(e => filter.Matches(e.Value.Metadata)).Select(e => e.Value.Id).ToArray();
        int deleted = 0;
        foreach (string[] batch in ids.Chunk(_options.MaxDocumentsPerRequest))
        {
            deleted += await DeleteAsync(collection, batch, cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Documents by id (missing ids are left out), with their chunk vectors when asked.</summary>
    public IReadOnlyList<StoredDocument> GetDocuments(string collection, IReadOnlyList<string> ids, bool withVectors = false)
    {
        Require(collection);
        return _store.GetDocuments(collection, ids, withVectors);
    }

    private async Task<BatchResult> WriteAsync(CollectionIndex target, List<DocumentWrite> writes, CancellationToken cancellationToken)
    {
        await target.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        CommittedBatch committed;
        try
        {
            if (target.IsClosed)
            {
                throw new CollectionNotFoundException(target.Name);
            }

            // Once the store has committed, the index must follow whatever the caller's token says.
            committed = await _store.ApplyBatchCommittedAsync(target.Name, writes, cancellationToken).ConfigureAwait(false);
            target.Apply(committed.Result, writes);
            target.Record = _store.GetCollection(target.Name) ?? target.Record;
        }
        finally
        {
            target.WriteLock.Release();
        }

        ScheduleBackground(target);

        // The caller is answered once the commit is on disk; waiting outside the lock lets the collection's
        // next writers commit meanwhile and share the same fsync.
        await committed.Durable.ConfigureAwait(false);
        return committed.Result;
    }

    private async Task EmbedChunksAsync(List<(int Index, string Id, DocumentInput Input, IReadOnlyList<TextChunk> Chunks)> documents, List<DocumentWrite> writes, CollectionSettings settings, CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            return;
        }

        int[][] windows = documents.SelectMany(d => d.Chunks.Select(c => c.InputIds)).ToArray();
        var request = new EmbeddingRequest { Pooling = PoolingModes.Parse(settings.Pooling), Normalize = settings.Normalize };
        IReadOnlyList<SentenceEmbedding> vectors = await Task.Run(() => Embedder!.EmbedTokenIds(windows, request, cancellationToken), cancellationToken).ConfigureAwait(false);
        int next = 0;
        foreach ((int index, string id, DocumentInput input, IReadOnlyList<TextChunk> chunks) in documents)
        {
            var stored = new StoredChunk[chunks.Count];
            for (int c = 0; c < chunks.Count; c++)
            {
                stored[c] = new StoredChunk(chunks[c].Start, chunks[c].End, chunks[c].InputIds, vectors[next++].Vector);
            }

            writes[index] = new DocumentWrite.Upsert(id, input.Text!, Metadata(input), stored);
        }
    }

    private DocumentFailure? Check(int index, string id, DocumentInput input, CollectionSettings settings)
    {
        if (id.Length is 0 or > Storage.DocumentStore.MaxDocumentIdLength)
        {
            return new DocumentFailure(index, id, "id", $"must be 1 to {Storage.DocumentStore.MaxDocumentIdLength} characters, has {id.Length}");
        }

        if (input.Vector is { } vector)
        {
            if (vector.Length != settings.Dimension)
            {
                return new DocumentFailure(index, id, "vector", $"has {vector.Length} dimensions; the collection's are {settings.Dimension}");
            }

            int bad = Array.FindIndex(vector, v => !float.IsFinite(v));
            return bad >= 0 ? new DocumentFailure(index, id, "vector", $"element {bad} is {vector[bad]}; values must be finite") : null;
        }

        if (string.IsNullOrWhiteSpace(input.Text))
        {
            return new DocumentFailure(index, id, "text", input.Text is null ? "is missing (give text or a vector)" : "is empty or only whitespace");
        }

        if (!TextSearchable(settings))
        {
            throw new CollectionMismatchException("text", $"collection was built for {settings.ModelName} vectors of {settings.Dimension} dimensions ({settings.Pooling}); this server embeds with {Embedder?.Model.Name ?? "no model"}: send vectors instead");
        }

        return input.Text.Length > Embedder!.MaxTextLength
            ? new DocumentFailure(index, id, "text", $"has {input.Text.Length} characters; the limit is {Embedder.MaxTextLength}", OverLimit: true)
            : null;
    }

    private static int TextLength(DocumentInput input) => input.Text?.Length ?? 0;

    private static Dictionary<string, string> Metadata(DocumentInput input) =>
        input.Metadata is null ? [] : new Dictionary<string, string>(input.Metadata, StringComparer.Ordinal);
}
