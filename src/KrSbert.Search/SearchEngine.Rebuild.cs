using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Indexing;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Search;

public sealed partial class SearchEngine
{
    private const int ReembedBatchSize = 64;

    /// <summary>
    /// Re-embeds every document of a collection with this engine's model (and <paramref name="definition"/>'s
    /// pooling and settings) into a new collection, then publishes it under the old name in one transaction.
    /// Queries see the old collection until then; writes to it during the run are refused by the caller's
    /// tooling (the offline command holds the database exclusively).
    /// </summary>
    /// <exception cref="CollectionMismatchException">A document has no text (a bring-your-own vector).</exception>
    public async Task<CollectionInfo> ReembedCollectionAsync(string name, CollectionDefinition definition, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        CollectionIndex old = Require(name);
        if (Embedder is not { CanEmbed: true })
        {
            throw new CollectionMismatchException("model", "re-embedding needs a model with model.onnx.");
        }

        string temporary = $"reembed-{old.Record.Number}";
        if (_collections.ContainsKey(temporary))
        {
            await DeleteCollectionAsync(temporary, cancellationToken).ConfigureAwait(false);
        }

        await CreateCollectionAsync(definition with { Name = temporary, Dimension = null }, cancellationToken).ConfigureAwait(false);
        long done = 0;
        try
        {
            foreach (StoredDocument[] batch in _store.ScanDocuments(name).Chunk(ReembedBatchSize))
            {
                if (batch.FirstOrDefault(d => string.IsNullOrWhiteSpace(d.Text)) is { } vectorOnly)
                {
                    throw new CollectionMismatchException("text", $"document '{vectorOnly.Id}' has no text (its vector was given, not embedded), so collection '{name}' cannot be re-embedded.");
                }

                await UpsertAsync(temporary, batch.Select(d => new DocumentInput(d.Id, d.Text, null, d.Metadata)).ToList(), allOrNothing: true, cancellationToken).ConfigureAwait(false);
                done += batch.Length;
                progress?.Report(done);
            }

            await SnapshotAsync(Require(temporary), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await DeleteCollectionAsync(temporary, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        CollectionIndex replacement = Require(temporary);
        await old.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await AwaitBackground(replacement).ConfigureAwait(false);
            CollectionRecord published = await _store.ReplaceCollectionAsync(name, temporary, cancellationToken).ConfigureAwait(false);
            replacement.Record = published;
            _collections[name] = replacement;
            _collections.TryRemove(temporary, out _);
            old.Dispose();
        }
        finally
        {
            old.WriteLock.Release();
        }

        return Describe(replacement);
    }

    /// <summary>A definition that rebuilds <paramref name="record"/> as it is, with another pooling if given.</summary>
    public static CollectionDefinition DefinitionOf(CollectionRecord record, Embedding.Pooling.PoolingMode? pooling = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        CollectionSettings s = record.Settings;
        return new CollectionDefinition
        {
            Name = record.Name,
            Metric = IndexSettings.Metric(s.Metric),
            Pooling = pooling ?? Embedding.Pooling.PoolingModes.Parse(s.Pooling),
            Normalize = s.Normalize,
            M = s.M,
            EfConstruction = s.EfConstruction,
            EfSearch = s.EfSearch,
            IndexStorage = IndexSettings.Storage(s.IndexStorage),
            Chunking = null,
        };
    }
}
