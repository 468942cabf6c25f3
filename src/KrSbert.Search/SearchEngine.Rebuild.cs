using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Indexing;
using KrSbert.Storage.Collections;
using KrSbert.Storage.Documents;

namespace KrSbert.Search;

public sealed partial class SearchEngine
{
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
        OpenCollection old = Require(name);
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
        try
        {
            IngestResult result = await IngestAsync(temporary, TextsOf(name, cancellationToken), progress, cancellationToken).ConfigureAwait(false);
            if (result.Failures.Count > 0)
            {
                DocumentFailure failure = result.Failures[0];
                throw new CollectionMismatchException(failure.Field, $"document '{failure.Id}' could not be re-embedded: {failure.Reason}");
            }

            await SnapshotAsync(Require(temporary), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await DeleteCollectionAsync(temporary, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        OpenCollection replacement = Require(temporary);
        using (CollectionLease lease = await old.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await AwaitBackground(replacement).ConfigureAwait(false);
            CollectionRecord published = await _store.ReplaceCollectionAsync(name, temporary, cancellationToken).ConfigureAwait(false);
            using (CollectionLease renaming = await replacement.LockAsync(cancellationToken).ConfigureAwait(false))
            {
                replacement.Rename(renaming, published);
            }

            _collections[name] = replacement;
            _collections.TryRemove(temporary, out _);
            old.Dispose();
        }

        return Describe(replacement);
    }

    /// <summary>Every stored text of a collection as documents to embed; a document without text stops the run.</summary>
    private async IAsyncEnumerable<DocumentInput> TextsOf(string name, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (StoredDocument document in _store.ScanDocuments(name))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (string.IsNullOrWhiteSpace(document.Text))
            {
                throw new CollectionMismatchException("text", $"document '{document.Id}' has no text (its vector was given, not embedded), so collection '{name}' cannot be re-embedded.");
            }

            yield return new DocumentInput(document.Id, document.Text, null, document.Metadata);
        }

        await Task.CompletedTask.ConfigureAwait(false);
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
