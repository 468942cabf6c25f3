namespace KrSbert.Index;

/// <summary>
/// Keeps the best <c>k</c> of a stream of hits in a min-heap whose root is the worst kept hit, ordered as
/// results are: higher score first, then smaller key, so that exact results are deterministic.
/// </summary>
internal sealed class TopKCollector
{
    private readonly VectorHit[] _heap;
    private int _count;

    public TopKCollector(int k)
    {
        _heap = new VectorHit[k];
    }

    public int Count => _count;

    /// <summary>True when <paramref name="a"/> ranks below <paramref name="b"/>.</summary>
    public static bool Worse(VectorHit a, VectorHit b) => a.Score < b.Score || (a.Score == b.Score && a.Key > b.Key);

    /// <summary>Orders hits as results are listed.</summary>
    public static int Compare(VectorHit a, VectorHit b) => Worse(a, b) ? 1 : Worse(b, a) ? -1 : 0;

    public void Offer(ulong key, float score)
    {
        var hit = new VectorHit(key, score);
        if (_count < _heap.Length)
        {
            _heap[_count] = hit;
            SiftUp(_count++);
        }
        else if (Worse(_heap[0], hit))
        {
            _heap[0] = hit;
            SiftDown(0);
        }
    }

    /// <summary>The kept hits, best first.</summary>
    public VectorHit[] ToSortedArray()
    {
        var result = _heap.AsSpan(0, _count).ToArray();
        Array.Sort(result, Compare);
        return result;
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Worse(_heap[i], _heap[parent]))
            {
                break;
            }

            (_heap[i], _heap[parent]) = (_heap[parent], _heap[i]);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int left = (2 * i) + 1;
            int worst = i;
            if (left < _count && Worse(_heap[left], _heap[worst]))
            {
                worst = left;
            }

            if (left + 1 < _count && Worse(_heap[left + 1], _heap[worst]))
            {
                worst = left + 1;
            }

            if (worst == i)
            {
                return;
            }

            (_heap[i], _heap[worst]) = (_heap[worst], _heap[i]);
            i = worst;
        }
    }
}
