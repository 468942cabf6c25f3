using System.Runtime.CompilerServices;
using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;

namespace KrSbert.Search.Tests;

public class IngestStreamTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [SharedFact(TestModels.TinyRandomFolder)]
    public async Task A_stream_over_several_windows_reports_refusals_by_stream_position_and_the_last_of_a_repeated_id_wins()
    {
        await using var temp = await TemporaryEngine.StartAsync(Embedders.TinyKrSbert).WaitAsync(Timeout);
        await temp.Engine.CreateCollectionAsync(new CollectionDefinition { Name = "stream" }).WaitAsync(Timeout);
        int count = (SearchEngine.IngestBatchSize * SearchEngine.IngestWindowBatches) + 77;
        int[] refused = [3, SearchEngine.IngestBatchSize + 44, (SearchEngine.IngestBatchSize * SearchEngine.IngestWindowBatches) - 1, count - 20];
        int[] repeated = [10, count - 5];
        var reports = new List<long>();

        IngestResult result = await temp.Engine.IngestAsync("stream", Documents(), new SynchronousProgress(reports.Add)).WaitAsync(Timeout);

        Assert.Equal((count, count - refused.Length), (result.Received, result.Stored));
        Assert.Equal(refused, result.Failures.Select(f => f.Index));
        Assert.All(result.Failures, f => Assert.Equal(($"d{f.Index}", "text"), (f.Id, f.Field)));
        Assert.Equal(count, reports[^1]);
        Assert.Equal(reports.Order(), reports);
        var info = temp.Engine.GetCollection("stream");
        Assert.Equal(count - refused.Length - 1, info.Record.DocumentCount);
        Assert.Equal(result.Sequence, info.Record.Sequence);
        var stored = temp.Engine.GetDocuments("stream", ["d0", "d700", $"d{count - 1}", "repeated", $"d{refused[2]}"]);
        Assert.Equal(["d0", "d700", $"d{count - 1}", "repeated"], stored.Select(d => d.Id));
        Assert.Equal([Text(0), Text(700), Text(count - 1), Text(repeated[1])], stored.Select(d => d.Text));

        async IAsyncEnumerable<DocumentInput> Documents([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (int i = 0; i < count; i++)
            {
                // Texts of many lengths, so a window's length order differs from the stream's order.
                await Task.Yield();
                string id = repeated.Contains(i) ? "repeated" : $"d{i}";
                yield return new DocumentInput(id, refused.Contains(i) ? " " : Text(i));
            }
        }
    }

    private static string Text(int i) => $"문서 {i} " + string.Join(' ', Enumerable.Repeat("한국어 문장", (i * 7) % 23));

    /// <summary>Reports on the reporting thread (Progress&lt;T&gt; would post them later, out of order).</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        private readonly Lock _gate = new();

        public void Report(long value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
