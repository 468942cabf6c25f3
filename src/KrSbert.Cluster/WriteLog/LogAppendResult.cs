namespace KrSbert.Cluster.WriteLog;

/// <summary>The sequences a committed shard batch took: <see cref="First"/> to <see cref="Last"/>, no gaps.</summary>
public readonly record struct LogAppendResult(int Shard, long First, long Last);
