using System.Buffers.Text;

namespace KrSbert.Cluster.Consistency;

/// <summary>
/// What a write returned and a read may carry to see it: the collection version written and, per shard, the log
/// sequence the write committed. Callers hold it as an opaque base64url string; its layout may change.
/// </summary>
/// <remarks>
/// Layout (before base64url): a format byte (1), the version, the shard count, then each shard and its sequence,
/// all as unsigned LEB128 varints, shards ascending.
/// </remarks>
public sealed class ConsistencyToken
{
    private const byte Format = 1;
    private readonly SortedDictionary<int, long> _sequences;

    /// <summary>A token for <paramref name="version"/> holding each shard's sequence.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative version, shard or sequence.</exception>
    public ConsistencyToken(long version, IEnumerable<KeyValuePair<int, long>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        Version = version;
        _sequences = [];
        foreach ((int shard, long sequence) in sequences)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(shard, "shard");
            ArgumentOutOfRangeException.ThrowIfNegative(sequence, "sequence");
            _sequences[shard] = Math.Max(sequence, _sequences.GetValueOrDefault(shard));
        }
    }

    /// <summary>The collection version the sequences belong to.</summary>
    public long Version { get; }

    /// <summary>Each shard's sequence, shards ascending.</summary>
    public IReadOnlyDictionary<int, long> Sequences => _sequences;

    /// <summary>The sequence a replica of <paramref name="shard"/> must have applied; 0 when the token names no write there.</summary>
    public long SequenceFor(int shard) => _sequences.GetValueOrDefault(shard);

    /// <summary>A token that waits for both: the larger sequence per shard.</summary>
    /// <exception cref="ArgumentException">The tokens are for different versions.</exception>
    public ConsistencyToken Merge(ConsistencyToken other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Version != Version)
        {
            throw new ArgumentException($"tokens for versions {Version} and {other.Version} do not merge.", nameof(other));
        }

        return new ConsistencyToken(Version, _sequences.Concat(other._sequences));
    }

    /// <summary>The opaque base64url text callers carry.</summary>
    public string Encode()
    {
        var bytes = new List<byte>(2 + (_sequences.Count * 6)) { Format };
        WriteVarint(bytes, (ulong)Version);
        WriteVarint(bytes, (ulong)_sequences.Count);
        foreach ((int shard, long sequence) in _sequences)
        {
            WriteVarint(bytes, (ulong)shard);
            WriteVarint(bytes, (ulong)sequence);
        }

        return Base64Url.EncodeToString(bytes.ToArray());
    }

    /// <inheritdoc/>
    public override string ToString() => Encode();

    /// <summary>Reads a token that <see cref="Encode"/> wrote.</summary>
    /// <exception cref="InvalidConsistencyTokenException">The text is not such a token; the message says what is wrong.</exception>
    public static ConsistencyToken Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            throw new InvalidConsistencyTokenException("the token is empty.");
        }

        if (text.Length > 16_384)
        {
            throw new InvalidConsistencyTokenException($"the token has {text.Length} characters; a real one is far shorter.");
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            throw new InvalidConsistencyTokenException("the token is not base64url text.");
        }

        var reader = new TokenReader(bytes);
        byte format = reader.Byte();
        if (format != Format)
        {
            throw new InvalidConsistencyTokenException($"the token's format is {format}; this server reads format {Format}.");
        }

        long version = reader.Value("version", long.MaxValue);
        long count = reader.Value("shard count", Sharding.ShardMap.MaxShards);
        var sequences = new List<KeyValuePair<int, long>>((int)count);
        int previous = -1;
        for (int i = 0; i < count; i++)
        {
            int shard = (int)reader.Value("shard", Sharding.ShardMap.MaxShards - 1);
            if (shard <= previous)
            {
                throw new InvalidConsistencyTokenException($"the token lists shard {shard} after shard {previous}.");
            }

            sequences.Add(new(shard, reader.Value("sequence", long.MaxValue)));
            previous = shard;
        }

        if (!reader.AtEnd)
        {
            throw new InvalidConsistencyTokenException("the token has bytes after its last shard.");
        }

        return new ConsistencyToken(version, sequences);
    }

    private static void WriteVarint(List<byte> bytes, ulong value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
    }

    private ref struct TokenReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public readonly bool AtEnd => _position == _bytes.Length;

        public byte Byte() => _position < _bytes.Length ? _bytes[_position++] : throw new InvalidConsistencyTokenException("the token ends early.");

        public long Value(string field, long max)
        {
            ulong value = 0;
            for (int shift = 0; ; shift += 7)
            {
                if (shift > 63)
                {
                    throw new InvalidConsistencyTokenException($"the token's {field} is too long.");
                }

                byte b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            return value > (ulong)max
                ? throw new InvalidConsistencyTokenException($"the token's {field} is {value}; the most is {max}.")
                : (long)value;
        }
    }
}
