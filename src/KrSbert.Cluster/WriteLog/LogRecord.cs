namespace KrSbert.Cluster.WriteLog;

/// <summary>A log row read back: its shard sequence and the change.</summary>
public sealed record LogRecord(long Sequence, LogEntry Entry);
