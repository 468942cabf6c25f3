using System.Buffers;

namespace KrSbert.Embedding.Tokenization;

/// <summary>Per-thread buffers for one encoding, so tokenising allocates nothing per token.</summary>
internal sealed class EncodingScratch
{
    [ThreadStatic]
    private static EncodingScratch? s_cached;

    private int[] _ids = ArrayPool<int>.Shared.Rent(256);
    private TokenOffset[] _offsets = ArrayPool<TokenOffset>.Shared.Rent(256);

    public NormalizedTextBuffer Normalized { get; } = new();

    public int Count { get; private set; }

    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, Count);

    public ReadOnlySpan<TokenOffset> Offsets => _offsets.AsSpan(0, Count);

    public static EncodingScratch Rent()
    {
        EncodingScratch? scratch = s_cached;
        s_cached = null;
        return scratch ?? new EncodingScratch();
    }

    public static void Return(EncodingScratch scratch) => s_cached = scratch;

    public void Clear() => Count = 0;

    public void Truncate(int count) => Count = count;

    public void Add(int id, TokenOffset offset)
    {
        if (Count == _ids.Length)
        {
            Grow();
        }

        _ids[Count] = id;
        _offsets[Count] = offset;
        Count++;
    }

    private void Grow()
    {
        int[] ids = ArrayPool<int>.Shared.Rent(_ids.Length * 2);
        TokenOffset[] offsets = ArrayPool<TokenOffset>.Shared.Rent(_ids.Length * 2);
        _ids.AsSpan(0, Count).CopyTo(ids);
        _offsets.AsSpan(0, Count).CopyTo(offsets);
        ArrayPool<int>.Shared.Return(_ids);
        ArrayPool<TokenOffset>.Shared.Return(_offsets);
        _ids = ids;
        _offsets = offsets;
    }
}
