using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Index;
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
        return (await PrepareUpsertsAsync(collection, [documents], allOrNothing, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Prepares several batches as <see cref="PrepareUpsertAsync"/> prepares one, embedding the chunks of all of
    /// them together, so the embedder's length order (which keeps padding short) spans every batch. Each batch
    /// keeps its own writes and failures, with positions within that batch.
    /// </summary>
    private async Task<PreparedUpsert[]> PrepareUpsertsAsync(string collection, IReadOnlyList<IReadOnlyList<DocumentInput>> batches, bool allOrNothing, CancellationToken cancellationToken)
    {
        foreach (IReadOnlyList<DocumentInput> documents in batches)
        {
            ArgumentNullException.ThrowIfNull(documents);
            if (documents.Count > _options.MaxDocumentsPerRequest)
            {
                throw new LimitExceededException("documents", documents.Count, _options.MaxDocumentsPerRequest);
            }
        }

        OpenCollection target = Require(collection);
        CollectionSettings settings = target.Record.Settings;
        var failures = new List<DocumentFailure>[batches.Count];
        var writes = new List<DocumentWrite>[batches.Count];
        List<PendingText> textDocuments = [];
        for (int b = 0; b < batches.Count; b++)
        {
            IReadOnlyList<DocumentInput> documents = batches[b];
            failures[b] = [];
            writes[b] = new List<DocumentWrite>(documents.Count);
            for (int i = 0; i < documents.Count; i++)
            {
                DocumentInput input = documents[i];
                string id = input.Id ?? Guid.NewGuid().ToString("N");
                if (Check(i, id, input, settings) is { } failure)
                {
                    failures[b].Add(failure);
                    continue;
                }

                if (input.Vector is { } vector)
                {
                    writes[b].Add(new DocumentWrite.Upsert(id, input.Text ?? "", Metadata(input), [new StoredChunk(0, input.Text?.Length ?? 0, [], vector)]));
                }
                else
                {
                    var chunks = TokenWindowChunker.Split(Embedder!.Tokenizer, input.Text!, new ChunkingOptions(settings.ChunkTokens, settings.ChunkOverlap));
                    if (chunks[0].InputIds.Length <= 2)
                    {
                        failures[b].Add(new DocumentFailure(i, id, "text", "has no tokens after normalisation (only control or format characters)"));
                        continue;
                    }

                    if (chunks.Count > DocumentKeys.MaxChunks)
                    {
                        failures[b].Add(new DocumentFailure(i, id, "text", $"splits into {chunks.Count} chunks; the limit is {DocumentKeys.MaxChunks}"));
                        continue;
                    }

                    textDocuments.Add(new PendingText(b, writes[b].Count, i, id, input, chunks));
                    writes[b].Add(null!);
                }
            }
        }

        if (allOrNothing && Array.Find(failures, f => f.Count > 0) is { } refusedEarly)
        {
            throw Rejection(refusedEarly);
        }

        int[] refused = Array.ConvertAll(failures, f => f.Count);
        await EmbedChunksAsync(textDocuments, writes, settings, failures, cancellationToken).ConfigureAwait(false);
        var prepared = new PreparedUpsert[batches.Count];
        for (int b = 0; b < batches.Count; b++)
        {
            if (failures[b].Count > refused[b] && allOrNothing)
            {
                throw Rejection(failures[b]);
            }

            // Documents whose embedding the rules refused left their slot empty.
            writes[b].RemoveAll(w => w is null);
            prepared[b] = new PreparedUpsert(target, writes[b], failures[b]);
        }

        return prepared;
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

        OpenCollection target = Require(collection);
        for (int i = 0; i < ids.Count; i++)
        {
            if (string.IsNullOrEmpty(ids[i]))
            {
                throw new ArgumentException($"ids[{i}] is empty.", nameof(ids));
            }

            if (ids[i].Length > _rules.Limits.MaxIdLength)
            {
                throw new LimitExceededException($"ids[{i}] length", ids[i].Length, _rules.Limits.MaxIdLength);
            }
        }

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

        OpenCollection target = Require(collection);
        string[] ids = target.Catalog.Entries.Where(e => filter.Matches(e.Value.Metadata)).Select(e => e.Value.Id).ToArray();
        int deleted = 0;
        foreach (string[] batch in ids.Chunk(_options.MaxDocumentsPerRequest))
        {
            deleted += await DeleteAsync(collection, batch, cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>
    /// A page of the ids whose metadata matches <paramref name="filter"/> (an empty filter: every document):
    /// up to <paramref name="limit"/> of them after <paramref name="after"/> (null: from the first), ascending in
    /// ordinal order, so a caller continues from the last id it got. Fewer than the limit: the last page.
    /// </summary>
    /// <exception cref="ArgumentException">A bad filter (naming the condition) or a limit below 1.</exception>
    /// <exception cref="LimitExceededException">A limit above the documents per request.</exception>
    public IReadOnlyList<string> ListIds(string collection, MetadataFilter filter, string? after, int limit)
    {
        ArgumentNullException.ThrowIfNull(filter);
        filter.Validate();
        if (limit < 1)
        {
            throw new ArgumentException($"limit is {limit}; it must be at least 1.", nameof(limit));
        }

        if (limit > _options.MaxDocumentsPerRequest)
        {
            throw new LimitExceededException("limit", limit, _options.MaxDocumentsPerRequest);
        }

        OpenCollection target = Require(collection);
        // Take after Order selects the smallest ids without sorting every match.
        return [.. target.Catalog.Entries
            .Select(e => e.Value)
            .Where(e => (after is null || string.CompareOrdinal(e.Id, after) > 0) && filter.Matches(e.Metadata))
            .Select(e => e.Id)
            .Order(StringComparer.Ordinal)
            .Take(limit)];
    }

    /// <summary>Documents by id (missing ids are left out), with their chunk vectors when asked.</summary>
    public IReadOnlyList<StoredDocument> GetDocuments(string collection, IReadOnlyList<string> ids, bool withVectors = false)
    {
        Require(collection);
        return _store.GetDocuments(collection, ids, withVectors);
    }

    private async Task<BatchResult> WriteAsync(OpenCollection target, List<DocumentWrite> writes, CancellationToken cancellationToken, long sourceSequence = 0)
    {
        CommittedBatch committed = await WriteCommittedAsync(target, writes, cancellationToken, sourceSequence).ConfigureAwait(false);

        // The caller is answered once the commit is on disk; waiting outside the lock lets the collection's
        // next writers commit meanwhile and share the same fsync.
        await committed.Durable.ConfigureAwait(false);
        return committed.Result;
    }

    /// <summary>Commits and indexes a batch and answers before the commit is on disk, with the task that says when it is.</summary>
    private async Task<CommittedBatch> WriteCommittedAsync(OpenCollection target, List<DocumentWrite> writes, CancellationToken cancellationToken, long sourceSequence = 0)
    {
        using CollectionLease lease = await target.LockAsync(cancellationToken).ConfigureAwait(false);
        if (target.IsClosed)
        {
            throw new CollectionNotFoundException(target.Name);
        }

        // Once the store has committed, the indexes must follow whatever the caller's token says.
        CommittedBatch committed = sourceSequence > 0
            ? await _store.ApplySourceBatchCommittedAsync(target.Name, writes, sourceSequence, cancellationToken).ConfigureAwait(false)
            : await _store.ApplyBatchCommittedAsync(target.Name, writes, cancellationToken).ConfigureAwait(false);
        target.Apply(lease, new IndexBatch(committed.Result, writes), committed.Result.Collection);
        ScheduleBackground(lease);
        return committed;
    }

    private async Task EmbedChunksAsync(List<PendingText> documents, List<DocumentWrite>[] writes, CollectionSettings settings, List<DocumentFailure>[] failures, CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            return;
        }

        int[][] windows = documents.SelectMany(d => d.Chunks.Select(c => c.InputIds)).ToArray();
        var request = new EmbeddingRequest { Pooling = PoolingModes.Parse(settings.Pooling), Normalize = settings.Normalize };
        IReadOnlyList<SentenceEmbedding> vectors = await Task.Run(() => Embedder!.EmbedTokenIds(windows, request, cancellationToken), cancellationToken).ConfigureAwait(false);
        HnswOptions shape = IndexSettings.Options(settings);
        int next = 0;
        foreach ((int batch, int slot, int position, string id, DocumentInput input, IReadOnlyList<TextChunk> chunks) in documents)
        {
            var stored = new StoredChunk[chunks.Count];
            DocumentFailure? refused = null;
            for (int c = 0; c < chunks.Count; c++)
            {
                float[] vector = vectors[next++].Vector;
                // A model can pool to a vector the index cannot take (all zeros under cosine); it is refused here, before the commit.
                refused ??= DocumentRules.CheckVector(position, id, $"text (chunk {c} embedding)", vector, shape);
                stored[c] = new StoredChunk(chunks[c].Start, chunks[c].End, chunks[c].InputIds, vector);
            }

            if (refused is not null)
            {
                failures[batch].Add(refused);
                continue;
            }

            writes[batch][slot] = new DocumentWrite.Upsert(id, input.Text!, Metadata(input), stored);
        }
    }

    private DocumentFailure? Check(int index, string id, DocumentInput input, CollectionSettings settings)
    {
        if (_rules.CheckFields(index, id, input) is { } failure)
        {
            return failure;
        }

        if (input.Vector is { } vector)
        {
            return DocumentRules.CheckVector(index, id, "vector", vector, IndexSettings.Options(settings));
        }

        if (string.IsNullOrWhiteSpace(input.Text))
        {
            return new DocumentFailure(index, id, "text", input.Text is null ? "is missing (give text or a vector)" : "is empty or only whitespace");
        }

        RequireSamePrecision(settings);
        if (!TextSearchable(settings))
        {
            throw new CollectionMismatchException("text", $"collection was built for {settings.ModelName} vectors of {settings.Dimension} dimensions ({settings.Pooling}); this server embeds with {Embedder?.Model.Name ?? "no model"}: send vectors instead");
        }

        return input.Text.Length > Embedder!.MaxTextLength
            ? new DocumentFailure(index, id, "text", $"has {input.Text.Length} characters; the limit is {Embedder.MaxTextLength}", Embedder.MaxTextLength)
            : null;
    }

    /// <summary>What an all-or-nothing request answers: a limit error when a document is over one, else the invalid documents.</summary>
    private static Exception Rejection(List<DocumentFailure> failures) =>
        failures.FirstOrDefault(f => f.OverLimit) is { } overLimit
            ? new LimitExceededException($"documents[{overLimit.Index}].{overLimit.Field}", overLimit.Reason, overLimit.Limit!.Value)
            : new InvalidDocumentsException(failures);

    private static Dictionary<string, string> Metadata(DocumentInput input) =>
        input.Metadata is null ? [] : new Dictionary<string, string>(input.Metadata, StringComparer.Ordinal);

    /// <summary>A text document waiting for its embeddings: its batch, its slot in that batch's writes and its position in the request.</summary>
    private readonly record struct PendingText(int Batch, int Slot, int Position, string Id, DocumentInput Input, IReadOnlyList<TextChunk> Chunks);
}
