using System.Buffers;

namespace KrSbert.Embedding.Tokenization;

/// <summary>
/// Normalised characters with, for each one, the index in the original text it came from, so that
/// token offsets can be reported against what the user sent. Pooled and reused per thread.
/// </summary>
internal sealed class NormalizedTextBuffer : IDisposable
{
    private char[] _chars;
    private int[] _sources;

    public NormalizedTextBuffer(int capacity = 256)
    {
        _chars = ArrayPool<char>.Shared.Rent(capacity);
        _sources = ArrayPool<int>.Shared.Rent(capacity);
    }

    public int Length { get; private set; }

    public ReadOnlySpan<char> Chars => _chars.AsSpan(0, Length);

    public ReadOnlySpan<int> Sources => _sources.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Append(char c, int sourceIndex)
    {
        if (Length == _chars.Length)
        {
            Grow();
        }

        _chars[Length] = c;
        _sources[Length] = sourceIndex;
        Length++;
    }

    public void Append(ReadOnlySpan<char> chars, int sourceIndex)
    {
        foreach (char c in chars)
        {
            Append(c, sourceIndex);
        }
    }

    public override string ToString() => new(Chars);

    public void Dispose()
    {
        ArrayPool<char>.Shared.Return(_chars);
        ArrayPool<int>.Shared.Return(_sources);
        _chars = [];
        _sources = [];
    }

    private void Grow()
    {
        char[] chars = ArrayPool<char>.Shared.Rent(_chars.Length * 2);
        int[] sources = ArrayPool<int>.Shared.Rent(_chars.Length * 2);
        _chars.AsSpan(0, Length).CopyTo(chars);
        _sources.AsSpan(0, Length).CopyTo(sources);
        ArrayPool<char>.Shared.Return(_chars);
        ArrayPool<int>.Shared.Return(_sources);
        _chars = chars;
        _sources = sources;
    }
}
