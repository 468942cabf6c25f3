using KrSbert.Cluster.Aliases;
using KrSbert.Cluster.WriteLog;
using KrSbert.Search;
using KrSbert.Search.Chunking;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Cluster.Rebuilding;

/// <summary>
/// Re-embeds a version's logged upserts with a builder's model for the version rebuilt with it: each text is chunked
/// and embedded through the engine's own prepare path on a local collection made from the new version's settings,
/// exactly as a router running that model would have written it. Tombstones, and upserts the new model already
/// embedded at the new precision, are copied as they are. Replicas never embed; only the builder does this.
/// </summary>
public sealed class LogReembedder
{
    private readonly SearchEngine _engine;
    private readonly string _collection;
    private readonly string _sourcePrecision;

    private LogReembedder(SearchEngine engine, string collection, CollectionSettings source, CollectionSettings target)
    {
        (_engine, _collection, _sourcePrecision, Settings) = (engine, collection, source.ModelPrecision, target);
    }

    /// <summary>What the new version is built with: the source's choices, with the engine's model, its dimension and precision.</summary>
    public CollectionSettings Settings { get; }

    /// <summary>
    /// Makes <paramref name="target"/>'s local collection in <paramref name="engine"/> from <paramref name="source"/>'s
    /// settings with the engine's model: metric, pooling, normalisation, HNSW, storage and BM25 stay; the dimension
    /// and precision are the model's; the chunk window stays when the model's window holds it, else becomes the
    /// model's default.
    /// </summary>
    /// <exception cref="InvalidOperationException">The engine has no model, or the source holds vectors its writers gave (no text model to replace).</exception>
    public static async Task<LogReembedder> CreateAsync(SearchEngine engine, CollectionVersion target, CollectionSettings source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        if (engine.Embedder is not { CanEmbed: true } embedder)
        {
            throw new InvalidOperationException($"rebuilding '{target.Collection}' with a new model needs a builder that runs the model (KrSbert:ModelDirectory); this one has none.");
        }

        if (source.ModelName == "vectors")
        {
            throw new InvalidOperationException($"'{target.Collection}' holds vectors its writers gave, not text a model embedded: a rebuild cannot re-embed them.");
        }

        int window = embedder.Model.Tokenizer.MaxSequenceLength;
        var chunking = new ChunkingOptions(source.ChunkTokens, source.ChunkOverlap);
        CollectionDefinition definition = LocalVersions.Definition(target.StoreName, source) with
        {
            Dimension = null,
            ModelPrecision = null,
            // A window the new model cannot hold becomes its default rather than failing the rebuild.
            Chunking = source.ChunkTokens <= window ? chunking : null,
        };

        // A builder that gave up before may have left the collection; it holds nothing this run needs.
        await engine.DeleteCollectionAsync(target.StoreName, cancellationToken).ConfigureAwait(false);
        CollectionInfo created = await engine.CreateCollectionAsync(definition, cancellationToken).ConfigureAwait(false);
        return new LogReembedder(engine, target.StoreName, source, created.Record.Settings);
    }

    /// <summary>
    /// <paramref name="entries"/> with every upsert another model (or this model at another precision) embedded
    /// replaced by the engine's embedding of its text, in the same order.
    /// </summary>
    /// <exception cref="InvalidOperationException">An upsert carries vectors its writer gave: there is no text to embed.</exception>
    /// <exception cref="InvalidDocumentsException">The new model refuses a text (too long, no tokens).</exception>
    public async Task<IReadOnlyList<LogEntry>> ReembedAsync(IReadOnlyList<LogEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var positions = new List<int>();
        var inputs = new List<DocumentInput>();
        for (int i = 0; i < entries.Count; i++)
        {
            LogEntry entry = entries[i];
            if (entry.Operation != LogOperation.Upsert || (entry.ModelId == Settings.ModelName && _sourcePrecision == Settings.ModelPrecision))
            {
                continue;
            }

            if (entry.ModelId is null)
            {
                throw new InvalidOperationException($"document '{entry.DocumentId}' was stored with a vector its writer gave; a rebuild with model {Settings.ModelName} cannot re-embed it. Delete it or write it again with text.");
            }

            positions.Add(i);
            inputs.Add(new DocumentInput(entry.DocumentId, entry.Text, Metadata: entry.Metadata));
        }

        if (inputs.Count == 0)
        {
            return entries;
        }

        PreparedUpsert prepared = await _engine.PrepareUpsertAsync(_collection, inputs, allOrNothing: true, cancellationToken).ConfigureAwait(false);
        LogEntry[] reembedded = [.. entries];
        for (int k = 0; k < positions.Count; k++)
        {
            // All or nothing: one write per input, in input order.
            var upsert = (DocumentWrite.Upsert)prepared.Documents[k];
            reembedded[positions[k]] = LogEntry.Upsert(
                upsert.Id,
                upsert.Text,
                upsert.Metadata,
                Settings.ModelName,
                [.. upsert.Chunks.Select(c => new LogChunk(c.Start, c.End, c.TokenIds, c.Vector))]);
        }

        return reembedded;
    }
}
