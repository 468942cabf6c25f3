namespace KrSbert.Probe;

/// <summary>How the probe cross-validates.</summary>
public sealed class ProbeOptions
{
    /// <summary>Outer folds per repeat (k of repeated k-fold).</summary>
    public int Folds { get; init; } = 10;

    /// <summary>How often the k-fold split is redrawn.</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>Seed of the fold assignment; the same seed gives the same splits.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Inner folds that choose λ (ridge) or C (logistic regression) on each outer training set.</summary>
    public int InnerFolds { get; init; } = 5;

    /// <summary>Fewest labelled rows worth probing.</summary>
    public int MinimumRows { get; init; } = 20;

    /// <summary>Fits run at once (default: one per core).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <exception cref="ProbeInputException">A count is out of range.</exception>
    public void Validate()
    {
        if (Folds < 2)
        {
            throw new ProbeInputException($"--folds must be at least 2, is {Folds}");
        }

        if (Repeats < 1)
        {
            throw new ProbeInputException($"--repeats must be at least 1, is {Repeats}");
        }

        if (InnerFolds < 2)
        {
            throw new ProbeInputException($"--inner-folds must be at least 2, is {InnerFolds}");
        }

        if (MinimumRows < 2)
        {
            throw new ProbeInputException($"the minimum row count must be at least 2, is {MinimumRows}");
        }

        if (Parallelism < 1)
        {
            throw new ProbeInputException($"parallelism must be at least 1, is {Parallelism}");
        }
    }
}
