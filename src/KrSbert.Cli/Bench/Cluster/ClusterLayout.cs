using System.Globalization;

namespace KrSbert.Cli.Bench.Cluster;

/// <summary>A cluster's shape: shards, and replicas of each (<c>2x2</c>).</summary>
internal readonly record struct ClusterLayout(int Shards, int Replicas)
{
    /// <summary>Reads <c>--layouts</c>: comma-separated <c>SHARDSxREPLICAS</c>, e.g. <c>1x1,2x2</c>.</summary>
    /// <exception cref="FormatException">A layout is not two positive whole numbers joined by x.</exception>
    public static ClusterLayout[] ParseList(string value)
    {
        var layouts = new List<ClusterLayout>();
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string[] sides = part.Split('x');
            if (sides.Length != 2
                || !int.TryParse(sides[0], NumberStyles.None, CultureInfo.InvariantCulture, out int shards) || shards is < 1 or > 64
                || !int.TryParse(sides[1], NumberStyles.None, CultureInfo.InvariantCulture, out int replicas) || replicas is < 1 or > 8)
            {
                throw new FormatException($"--layouts '{value}': '{part}' is not SHARDSxREPLICAS (1 to 64 shards, 1 to 8 replicas each, e.g. 2x2).");
            }

            layouts.Add(new ClusterLayout(shards, replicas));
        }

        return layouts.Count > 0 ? [.. layouts] : throw new FormatException("--layouts names no layout (e.g. 1x1,2x2).");
    }

    public override string ToString() => $"{Shards}x{Replicas}";
}
