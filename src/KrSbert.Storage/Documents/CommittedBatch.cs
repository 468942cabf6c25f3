namespace KrSbert.Storage.Documents;

/// <summary>A committed batch: what it changed, and a task that completes once the commit is on disk (or fails if the flush failed).</summary>
public sealed record CommittedBatch(BatchResult Result, Task Durable);
