using System.Runtime.ExceptionServices;
using KrSbert.Search.Documents;
using KrSbert.Storage.Documents;

namespace KrSbert.Search;

public sealed partial class SearchEngine
{
    /// <summary>Documents read from a stream before one write.</summary>
    public const int IngestBatchSize = 256;

    /// <summary>Batches of a stream embedded together, so their chunks are ordered by length over all of them.</summary>
    public const int IngestWindowBatches = 4;

    /// <summary>
    /// Stores a stream of documents in batches of <see cref="IngestBatchSize"/> (or the per-request limit, if lower): every valid document is stored,
    /// and each invalid one is reported by its position in the stream. Batches are prepared (checked, chunked,
    /// embedded) a window of <see cref="IngestWindowBatches"/> at a time, the window's chunks embedded together in
    /// one length order, which keeps padding short. While window N commits, batch by batch, window N+1 is read
    /// and prepared; nothing more is read until N has committed, so a fast producer is slowed rather than
    /// buffered without bound. Commits stay in order, each batch atomic. When the stream fails or is cancelled,
    /// the commits under way still finish before the error surfaces; documents of a window not yet prepared are not stored.
    /// </summary>
    /// <param name="collection">The collection to store into.</param>
    /// <param name="documents">The documents, in order.</param>
    /// <param name="progress">Receives the count of documents committed or refused so far.</param>
    /// <param name="cancellationToken">Stops reading; the commits under way finish.</param>
    /// <exception cref="Storage.Collections.CollectionNotFoundException">No such collection (before anything is read).</exception>
    public async Task<IngestResult> IngestAsync(string collection, IAsyncEnumerable<DocumentInput> documents, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documents);
        Require(collection);
        var failures = new List<DocumentFailure>();
        int batchSize = Math.Min(IngestBatchSize, _options.MaxDocumentsPerRequest);
        var window = new List<List<DocumentInput>>(IngestWindowBatches);
        var batch = new List<DocumentInput>(batchSize);
        long received = 0, stored = 0, sequence = 0, windowStart = 0;
        Task? committing = null;
        try
        {
            await foreach (DocumentInput document in documents.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                batch.Add(document);
                received++;
                if (batch.Count == batchSize)
                {
                    window.Add(batch);
                    batch = new List<DocumentInput>(batchSize);
                    if (window.Count == IngestWindowBatches)
                    {
                        await NextAsync().ConfigureAwait(false);
                    }
                }
            }

            if (batch.Count > 0)
            {
                window.Add(batch);
            }

            if (window.Count > 0)
            {
                await NextAsync().ConfigureAwait(false);
            }

            if (committing is not null)
            {
                await committing.ConfigureAwait(false);
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
            PreparedUpsert[] prepared = await PrepareUpsertsAsync(collection, [.. window], allOrNothing: false, cancellationToken).ConfigureAwait(false);
            var starts = new long[window.Count];
            for (int b = 0; b < window.Count; b++)
            {
                starts[b] = windowStart;
                windowStart += window[b].Count;
            }

            window.Clear();
            if (committing is not null)
            {
                await committing.ConfigureAwait(false);
            }

            committing = CommitWindowAsync(prepared, starts);
        }

        // Runs beside the preparation of the next window; it alone updates the totals until it is awaited. Each
        // batch commits as soon as the one before it has, without waiting for its fsync, so the window's batches
        // share fsyncs; a batch counts once it is on disk. A prepared window commits even when the caller cancels
        // (the commits under way finish), and every batch that reached the disk is counted before a failure surfaces.
        async Task CommitWindowAsync(PreparedUpsert[] prepared, long[] starts)
        {
            var committed = new List<(Task Durable, int Batch, long Sequence)>(prepared.Length);
            ExceptionDispatchInfo? failure = null;
            try
            {
                for (int b = 0; b < prepared.Length; b++)
                {
                    CommittedBatch batch = await WriteCommittedAsync(prepared[b].Target, prepared[b].Writes, CancellationToken.None).ConfigureAwait(false);
                    committed.Add((batch.Durable, b, batch.Result.Sequence));
                }
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }

            foreach ((Task durable, int b, long batchSequence) in committed)
            {
                try
                {
                    await durable.ConfigureAwait(false);
                    Collect(prepared[b], batchSequence, starts[b]);
                }
                catch (Exception e) when (failure is null)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                }
                catch (Exception)
                {
                    // The first failure is the one reported; later batches of the window share its cause.
                }
            }

            failure?.Throw();
        }

        void Collect(PreparedUpsert prepared, long batchSequence, long start)
        {
            stored += prepared.Writes.Count;
            sequence = batchSequence;
            failures.AddRange(prepared.Failures.Select(f => f with { Index = checked((int)(start + f.Index)) }));
            progress?.Report(stored + failures.Count);
        }
    }
}
