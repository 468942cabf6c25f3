using KrSbert.Index;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Search.Indexing;
using KrSbert.Storage.Documents;

namespace KrSbert.Search;

public sealed partial class SearchEngine
{
    /// <summary>
    /// Applies a batch that an outside ordered source already embedded (a cluster shard's write log): the writes
    /// and <paramref name="sourceSequence"/>, the source's sequence of the batch's last write, commit in one local
    /// transaction and are then indexed. Nothing is embedded again. A batch whose sequence the collection has
    /// already applied changes nothing, so a batch delivered twice is applied once. Returns whether it was applied.
    /// </summary>
    /// <exception cref="InvalidDocumentsException">An upsert without chunks, with too many, or with a vector the index cannot take. Nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A source sequence below 1.</exception>
    public async Task<bool> ApplySourceBatchAsync(string collection, IReadOnlyList<DocumentWrite> writes, long sourceSequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceSequence, 1);
        OpenCollection target = Require(collection);
        HnswOptions shape = IndexSettings.Options(target.Record.Settings);
        var failures = new List<DocumentFailure>();
        for (int i = 0; i < writes.Count; i++)
        {
            if (writes[i] is not DocumentWrite.Upsert upsert)
            {
                continue;
            }

            if (upsert.Chunks.Count is 0 or > DocumentKeys.MaxChunks)
            {
                failures.Add(new DocumentFailure(i, upsert.Id, "chunks", $"has {upsert.Chunks.Count} chunks; it must have 1 to {DocumentKeys.MaxChunks}"));
                continue;
            }

            // The index must never refuse what the store accepted, so vectors are checked here, before the commit.
            for (int c = 0; c < upsert.Chunks.Count; c++)
            {
                if (DocumentRules.CheckVector(i, upsert.Id, $"chunks[{c}].vector", upsert.Chunks[c].Vector, shape) is { } failure)
                {
                    failures.Add(failure);
                    break;
                }
            }
        }

        if (failures.Count > 0)
        {
            throw new InvalidDocumentsException(failures);
        }

        long before = target.Record.SourceSequence;
        if (sourceSequence <= before)
        {
            return false;
        }

        BatchResult result = await WriteAsync(target, [.. writes], cancellationToken, sourceSequence).ConfigureAwait(false);
        // The store skips a batch another delivery applied first; every write of an applied batch changes or misses.
        return writes.Count == 0 || result.Changes.Count + result.NotFound > 0;
    }

    /// <summary>The last source sequence a collection has applied (0 when none).</summary>
    public long SourceSequence(string collection) => Require(collection).Record.SourceSequence;
}
