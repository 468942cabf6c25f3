namespace KrSbert.Embedding.Pooling;

/// <summary>Names and sizes of <see cref="PoolingMode"/> combinations.</summary>
public static class PoolingModes
{
    private static readonly (PoolingMode Mode, string Name)[] s_names =
    [
        (PoolingMode.Cls, "cls"),
        (PoolingMode.Max, "max"),
        (PoolingMode.Mean, "mean"),
        (PoolingMode.MeanSqrtLen, "mean_sqrt_len"),
    ];

    /// <summary>Every single mode, in concatenation order.</summary>
    public static IReadOnlyList<PoolingMode> All { get; } = s_names.Select(n => n.Mode).ToArray();

    /// <summary>How many vectors a combination concatenates.</summary>
    public static int Count(PoolingMode modes) => System.Numerics.BitOperations.PopCount((uint)modes);

    /// <summary>The combination's name: single modes joined by <c>+</c> (<c>cls+mean</c>).</summary>
    public static string Format(PoolingMode modes) =>
        string.Join('+', s_names.Where(n => modes.HasFlag(n.Mode)).Select(n => n.Name));

    /// <summary>
    /// Parses <c>mean</c>, <c>cls</c>, <c>max</c>, <c>mean_sqrt_len</c> (also <c>mean-sqrt-len</c>, <c>meansqrtlen</c>)
    /// and combinations joined by <c>+</c> or <c>,</c>.
    /// </summary>
    /// <exception cref="FormatException">A name is not a pooling mode; the message lists the valid ones.</exception>
    public static PoolingMode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        PoolingMode modes = PoolingMode.None;
        foreach (string part in text.Split(['+', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string key = part.ToLowerInvariant().Replace('-', '_');
            PoolingMode mode = key switch
            {
                "cls" or "cls_token" => PoolingMode.Cls,
                "max" or "max_tokens" => PoolingMode.Max,
                "mean" or "mean_tokens" => PoolingMode.Mean,
                "mean_sqrt_len" or "meansqrtlen" or "mean_sqrt_len_tokens" => PoolingMode.MeanSqrtLen,
                _ => throw new FormatException($"'{part}' is not a pooling mode; use cls, max, mean or mean_sqrt_len, or several joined by '+'."),
            };
            modes |= mode;
        }

        return modes != PoolingMode.None
            ? modes
            : throw new FormatException("No pooling mode given; use cls, max, mean or mean_sqrt_len, or several joined by '+'.");
    }
}
