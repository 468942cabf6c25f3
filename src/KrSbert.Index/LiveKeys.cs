using System.Numerics;

namespace KrSbert.Index;

/// <summary>
/// The keys an index holds, in a dense array for sampling and exact scans, with an open-addressing table of their
/// positions for O(1) membership and removal. USearch can neither list nor sample its keys, so the index keeps them.
/// </summary>
/// <remarks>
/// This is part of the memory per vector: a <c>List&lt;ulong&gt;</c> plus a <c>Dictionary&lt;ulong, int&gt;</c>
/// cost about 36 bytes a key (24-byte entries and 4-byte buckets on top of the list), where this costs the 8-byte key
/// and a 4-byte slot at a load of at most 3/4, about 13 to 19 bytes. The table stores position + 1 (0 is empty) and
/// compares through the key array, so it never holds a key twice. Not thread-safe: the index's lock guards it.
/// </remarks>
internal sealed class LiveKeys
{
    private const int MinimumSlots = 16;

    private ulong[] _keys = [];
    private int[] _slots = new int[MinimumSlots];
    private int _shift = 64 - BitOperations.Log2(MinimumSlots);

    /// <summary>How many keys are held.</summary>
    public int Count { get; private set; }

    /// <summary>The held keys, in no particular order; valid until the next change.</summary>
    public ReadOnlySpan<ulong> Keys => _keys.AsSpan(0, Count);

    /// <summary>The key at <paramref name="position"/> (0 to <see cref="Count"/> − 1).</summary>
    public ulong this[int position] => Keys[position];

    /// <summary>Makes room for <paramref name="capacity"/> keys at once, so a batch does not grow the arrays by doubling.</summary>
    public void EnsureCapacity(int capacity)
    {
        if (capacity > _keys.Length)
        {
            Array.Resize(ref _keys, capacity);
        }

        if (capacity > MaximumLoad(_slots.Length))
        {
            Rehash(SlotsFor(capacity));
        }
    }

    /// <summary>Whether <paramref name="key"/> is held.</summary>
    public bool Contains(ulong key) => _slots[FindSlot(key)] != 0;

    /// <summary>Adds <paramref name="key"/>, which must not be held already.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is already held.</exception>
    public void Add(ulong key)
    {
        int slot = FindSlot(key);
        if (_slots[slot] != 0)
        {
            throw new ArgumentException($"Key {key} is already held.", nameof(key));
        }

        if (Count == _keys.Length)
        {
            Array.Resize(ref _keys, Math.Max(4, _keys.Length * 2));
        }

        _keys[Count] = key;
        _slots[slot] = ++Count;
        if (Count > MaximumLoad(_slots.Length))
        {
            Rehash(_slots.Length * 2);
        }
    }

    /// <summary>Removes <paramref name="key"/>; false when it was not held. The last key takes its position.</summary>
    public bool Remove(ulong key)
    {
        int slot = FindSlot(key);
        int position = _slots[slot] - 1;
        if (position < 0)
        {
            return false;
        }

        DeleteSlot(slot);
        int last = Count - 1;
        if (position != last)
        {
            ulong moved = _keys[last];
            _keys[position] = moved;
            _slots[FindSlot(moved)] = position + 1;
        }

        Count = last;
        return true;
    }

    private static int MaximumLoad(int slots) => slots / 4 * 3;

    private static int SlotsFor(int capacity) =>
        (int)Math.Max(MinimumSlots, BitOperations.RoundUpToPowerOf2((uint)(((long)capacity * 4 / 3) + 1)));

    // Fibonacci hashing: keys are often consecutive, and the multiply spreads them over the high bits.
    private int Home(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);

    /// <summary>The slot holding <paramref name="key"/>, or the empty slot where it would go.</summary>
    private int FindSlot(ulong key)
    {
        int mask = _slots.Length - 1;
        for (int slot = Home(key); ; slot = (slot + 1) & mask)
        {
            int entry = _slots[slot];
            if (entry == 0 || _keys[entry - 1] == key)
            {
                return slot;
            }
        }
    }

    /// <summary>Empties <paramref name="slot"/> and shifts later entries of its run back, so lookups need no tombstones.</summary>
    private void DeleteSlot(int slot)
    {
        int mask = _slots.Length - 1;
        int hole = slot;
        for (int next = (hole + 1) & mask; _slots[next] != 0; next = (next + 1) & mask)
        {
            int home = Home(_keys[_slots[next] - 1]);
            // The entry may fill the hole only if its home is not in the cyclic range (hole, next].
            bool homeAfterHole = hole <= next ? home > hole && home <= next : home > hole || home <= next;
            if (!homeAfterHole)
            {
                _slots[hole] = _slots[next];
                hole = next;
            }
        }

        _slots[hole] = 0;
    }

    private void Rehash(int slotCount)
    {
        _slots = new int[slotCount];
        _shift = 64 - BitOperations.Log2((uint)slotCount);
        int mask = slotCount - 1;
        for (int position = 0; position < Count; position++)
        {
            int slot = Home(_keys[position]);
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _slots[slot] = position + 1;
        }
    }
}
