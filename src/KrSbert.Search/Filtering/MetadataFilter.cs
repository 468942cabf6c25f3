namespace KrSbert.Search.Filtering;

/// <summary>
/// A metadata filter: every condition must hold (AND). A condition holds when the document's value for
/// the key equals one of the listed values (one value: equality; several: in-list).
/// </summary>
public sealed record MetadataFilter(IReadOnlyList<MetadataCondition> Conditions)
{
    /// <summary>The filter that keeps everything.</summary>
    public static MetadataFilter None { get; } = new([]);

    /// <summary>Whether the filter keeps everything.</summary>
    public bool IsEmpty => Conditions.Count == 0;

    /// <summary>Equality on one key.</summary>
    public static MetadataFilter Equal(string key, string value) => new([new MetadataCondition(key, [value])]);

    /// <summary>Whether <paramref name="metadata"/> passes.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> metadata)
    {
        foreach (MetadataCondition condition in Conditions)
        {
            if (!metadata.TryGetValue(condition.Key, out string? value) || !condition.Values.Contains(value, StringComparer.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <exception cref="ArgumentException">A key is empty or a condition lists no value.</exception>
    public void Validate()
    {
        for (int i = 0; i < Conditions.Count; i++)
        {
            if (string.IsNullOrEmpty(Conditions[i].Key))
            {
                throw new ArgumentException($"filter.conditions[{i}].key is empty.", "filter");
            }

            if (Conditions[i].Values.Count == 0)
            {
                throw new ArgumentException($"filter.conditions[{i}] ('{Conditions[i].Key}') lists no value.", "filter");
            }
        }
    }
}

/// <summary>One condition: the value under <paramref name="Key"/> is one of <paramref name="Values"/>.</summary>
public sealed record MetadataCondition(string Key, IReadOnlyList<string> Values);
