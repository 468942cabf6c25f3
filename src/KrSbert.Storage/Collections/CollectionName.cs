namespace KrSbert.Storage.Collections;

/// <summary>Collection names: 1 to 64 letters, digits, <c>-</c> or <c>_</c>.</summary>
public static class CollectionName
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxLength = 64;

    /// <summary>Whether <paramref name="name"/> is a valid collection name.</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxLength && name.AsSpan().IndexOfAnyExcept(AllowedCharacters) < 0;

    /// <exception cref="ArgumentException">The name is empty, too long or has another character; the message says which.</exception>
    public static void Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("The collection name is empty.", nameof(name));
        }

        if (name.Length > MaxLength)
        {
            throw new ArgumentException($"The collection name has {name.Length} characters; the limit is {MaxLength}.", nameof(name));
        }

        int bad = name.AsSpan().IndexOfAnyExcept(AllowedCharacters);
        if (bad >= 0)
        {
            throw new ArgumentException($"The collection name may hold only letters, digits, '-' and '_'; '{name[bad]}' at position {bad} is not allowed.", nameof(name));
        }
    }

    private static readonly System.Buffers.SearchValues<char> AllowedCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
}
