namespace KrSbert.Cluster.WriteLog;

/// <summary>What a log row does to its document. The numbers are stored in <c>krs_log.op</c>; they never change.</summary>
public enum LogOperation : short
{
    /// <summary>Stores the document (text, metadata and embedded chunks), replacing any earlier one with its id.</summary>
    Upsert = 1,

    /// <summary>A tombstone: removes the document with its id, if any.</summary>
    Delete = 2,
}
