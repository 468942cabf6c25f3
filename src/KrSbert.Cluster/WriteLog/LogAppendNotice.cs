using System.Globalization;

namespace KrSbert.Cluster.WriteLog;

/// <summary>
/// What an append announces on <see cref="PostgresWriteLog.NotificationChannel"/> after its commit, so replicas that
/// LISTEN wake at once instead of at their next poll. The payload is <c>collection/version/shard/sequence</c>.
/// </summary>
public sealed record LogAppendNotice(string Collection, long Version, int Shard, long Sequence)
{
    /// <summary>The NOTIFY payload.</summary>
    public string Payload => string.Create(CultureInfo.InvariantCulture, $"{Collection}/{Version}/{Shard}/{Sequence}");

    /// <summary>Reads a NOTIFY payload.</summary>
    /// <exception cref="FormatException">Not a payload an append wrote.</exception>
    public static LogAppendNotice Parse(string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        string[] parts = payload.Split('/');
        return parts.Length == 4
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long version)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int shard)
            && long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out long sequence)
            ? new LogAppendNotice(parts[0], version, shard, sequence)
            : throw new FormatException($"'{payload}' is not a log notice (collection/version/shard/sequence).");
    }
}
