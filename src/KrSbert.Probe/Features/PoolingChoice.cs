using KrSbert.Embedding.Pooling;

namespace KrSbert.Probe.Features;

/// <summary>One pooling to probe: a mode or a '+' concatenation of modes, or BERT's pooler output.</summary>
/// <param name="Name">As the user wrote it, normalised (<c>cls+mean</c>, <c>pooler</c>).</param>
/// <param name="Modes">The modes to concatenate; <see cref="PoolingMode.None"/> for the pooler output.</param>
public sealed record PoolingChoice(string Name, PoolingMode Modes)
{
    /// <summary>The name of BERT's pooler output, tanh(dense(CLS)).</summary>
    public const string PoolerName = "pooler";

    /// <summary>What is probed when <c>--pooling</c> is not given.</summary>
    public const string DefaultList = "mean,cls,max,mean_sqrt_len,pooler";

    /// <summary>Whether this is the pooler output rather than a pooling of token vectors.</summary>
    public bool IsPooler => Modes == PoolingMode.None;

    /// <summary>Parses a comma-separated list such as <c>mean,cls,max,cls+mean,pooler</c>.</summary>
    /// <exception cref="ProbeInputException">An entry is not a pooling, or the list is empty.</exception>
    public static IReadOnlyList<PoolingChoice> ParseList(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var choices = new List<PoolingChoice>();
        foreach (string entry in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            PoolingChoice choice;
            if (entry.Equals(PoolerName, StringComparison.OrdinalIgnoreCase) || entry.Equals("pooler_output", StringComparison.OrdinalIgnoreCase))
            {
                choice = new PoolingChoice(PoolerName, PoolingMode.None);
            }
            else
            {
                try
                {
                    PoolingMode modes = PoolingModes.Parse(entry);
                    choice = new PoolingChoice(PoolingModes.Format(modes), modes);
                }
                catch (FormatException)
                {
                    throw new ProbeInputException($"--pooling: '{entry}' is not a pooling; use mean, cls, max, mean_sqrt_len, pooler, or modes joined by '+' (cls+mean), separated by commas");
                }
            }

            if (!choices.Any(c => c.Name == choice.Name))
            {
                choices.Add(choice);
            }
        }

        return choices.Count > 0 ? choices : throw new ProbeInputException("--pooling names no pooling");
    }
}
