using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace KrSbert.Server.Metrics;

/// <summary>
/// Counters and histograms the server keeps, written in Prometheus' text format at <c>/metrics</c>:
/// requests and latencies per method and status, embedding batch sizes, documents per collection and snapshot age.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] s_latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] s_batchBuckets = [1, 2, 4, 8, 16, 32, 64];

    private readonly ConcurrentDictionary<(string Method, string Code), long> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latencies = new(StringComparer.Ordinal);
    private readonly Histogram _batchSizes = new(s_batchBuckets);

    /// <summary>Records one finished call.</summary>
    public void RecordRequest(string method, string code, TimeSpan elapsed)
    {
        _requests.AddOrUpdate((method, code), 1, (_, n) => n + 1);
        _latencies.GetOrAdd(method, _ => new Histogram(s_latencyBuckets)).Observe(elapsed.TotalSeconds);
    }

    /// <summary>Records the size of one shared embedding batch.</summary>
    public void RecordEmbeddingBatch(int size) => _batchSizes.Observe(size);

    /// <summary>The text exposition, with per-collection gauges from <paramref name="collections"/>.</summary>
    public string Render(IEnumerable<(string Name, long Documents, long Vectors, double? SnapshotAgeSeconds)> collections)
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP krsbert_requests_total gRPC calls by method and status code.");
        text.AppendLine("# TYPE krsbert_requests_total counter");
        foreach (((string method, string code), long count) in _requests.OrderBy(r => r.Key.Method, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"krsbert_requests_total{{method=\"{method}\",code=\"{code}\"}} {count}");
        }

        text.AppendLine("# HELP krsbert_request_duration_seconds gRPC call latency by method.");
        text.AppendLine("# TYPE krsbert_request_duration_seconds histogram");
        foreach ((string method, Histogram histogram) in _latencies.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            histogram.Write(text, "krsbert_request_duration_seconds", $"method=\"{method}\"");
        }

        text.AppendLine("# HELP krsbert_embedding_batch_size Texts per shared embedding batch.");
        text.AppendLine("# TYPE krsbert_embedding_batch_size histogram");
        _batchSizes.Write(text, "krsbert_embedding_batch_size", null);

        text.AppendLine("# HELP krsbert_collection_documents Documents stored per collection.");
        text.AppendLine("# TYPE krsbert_collection_documents gauge");
        var list = collections.ToList();
        foreach (var c in list)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"krsbert_collection_documents{{collection=\"{c.Name}\"}} {c.Documents}");
        }

        text.AppendLine("# HELP krsbert_collection_vectors Vectors in each collection's index.");
        text.AppendLine("# TYPE krsbert_collection_vectors gauge");
        foreach (var c in list)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"krsbert_collection_vectors{{collection=\"{c.Name}\"}} {c.Vectors}");
        }

        text.AppendLine("# HELP krsbert_snapshot_age_seconds Age of each collection's newest index snapshot (absent: none yet).");
        text.AppendLine("# TYPE krsbert_snapshot_age_seconds gauge");
        foreach (var c in list.Where(c => c.SnapshotAgeSeconds is not null))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"krsbert_snapshot_age_seconds{{collection=\"{c.Name}\"}} {c.SnapshotAgeSeconds:F1}");
        }

        return text.ToString();
    }

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private long _count;
        private double _sum;
        private readonly Lock _lock = new();

        public void Observe(double value)
        {
            lock (_lock)
            {
                // A loop, not Array.FindIndex with a lambda: this runs on every call, and the lambda captures value.
                int bucket = 0;
                while (bucket < bounds.Length && value > bounds[bucket])
                {
                    bucket++;
                }

                _counts[bucket]++;
                _count++;
                _sum += value;
            }
        }

        public void Write(StringBuilder text, string name, string? labels)
        {
            lock (_lock)
            {
                string prefix = labels is null ? "" : labels + ",";
                long cumulative = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cumulative += _counts[i];
                    text.AppendLine(CultureInfo.InvariantCulture, $"{name}_bucket{{{prefix}le=\"{bounds[i]}\"}} {cumulative}");
                }

                text.AppendLine(CultureInfo.InvariantCulture, $"{name}_bucket{{{prefix}le=\"+Inf\"}} {_count}");
                string suffix = labels is null ? "" : "{" + labels + "}";
                text.AppendLine(CultureInfo.InvariantCulture, $"{name}_sum{suffix} {_sum}");
                text.AppendLine(CultureInfo.InvariantCulture, $"{name}_count{suffix} {_count}");
            }
        }
    }
}
