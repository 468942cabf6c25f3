using KrSbert.Search.Documents;

namespace KrSbert.Search;

public sealed partial class SearchEngine
{
    /// <summary>Documents read from a stream before one write.</summary>
    public const int IngestBatchSize = 256;

    /// <summary>
    /// Stores a stream of documents in batches of <see cref="IngestBatchSize"/> (or the per-request limit, if lower): every valid document is stored,
    /// and each invalid one is reported by its position in the stream. While batch N commits, batch N+1 is read
    /// and prepared (checked, chunked, embedded); nothing more is read until N has committed, so a fast producer
    /// is slowed rather than buffered without bound. Commits stay in order, each batch atomic. When the stream
    /// fails or is cancelled, the commit under way still finishes before the error surfaces.
    /// </summary>
    /// <param name="collection">The collection to store into.</param>
    /// <param name="documents">The documents, in order.</param>
    /// <param name="progress">Receives the count of documents committed or refused so far.</param>
    /// <param name="cancellationToken">Stops reading; the commit under way finishes.</param>
    /// <exception cref="Storage.Collections.CollectionNotFoundException">No such collection (before anything is read).</exception>
    public async Task<IngestResult> IngestAsync(string collection, IAsyncEnumerable<DocumentInput> documents, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        Require(collection);
        var failures = new List<DocumentFailure>();
        int batchSize = Math.Min(IngestBatchSize, _options.MaxDocumentsPerRequest);
        var batch = new List<DocumentInput>(batchSize);
        long received = 0, stored = 0, sequence = 0, batchStart = 0;
        Task<UpsertResult>? committing = null;
        long committingStart = 0;
        try
        {
            await foreach (DocumentInput document in documents.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                batch.Add(document);
                received++;
                if (batch.Count == batchSize)
                {
                    await NextAsync().ConfigureAwait(false);
                }
            }

            if (batch.Count > 0)
            {
                await NextAsync().ConfigureAwait(false);
            }

            if (committing is not null)
            {
                Collect(await committing.ConfigureAwait(false), committingStart);
                committing = null;
            }
        }
        finally
        {
            if (committing is not null)
            {
                await committing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        return new IngestResult(received, stored, failures, sequence);

        async Task NextAsync()
        {
            PreparedUpsert prepared = await PrepareUpsertAsync(collection, [.. batch], allOrNothing: false, cancellationToken).ConfigureAwait(false);
            long start = batchStart;
            batchStart = received;
            batch.Clear();
            if (committing is not null)
            {
                Collect(await committing.ConfigureAwait(false), committingStart);
            }

            committing = CommitAsync(prepared, cancellationToken);
            committingStart = start;
        }

        void Collect(UpsertResult result, long start)
        {
            stored += result.Ids.Count;
            sequence = result.Sequence;
            failures.AddRange(result.Failures.Select(f => f with { Index = checked((int)(start + f.Index)) }));
            progress?.Report(stored + failures.Count);
        }
    }
}
