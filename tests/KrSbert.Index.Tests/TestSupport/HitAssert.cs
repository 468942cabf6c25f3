namespace KrSbert.Index.Tests.TestSupport;

public static class HitAssert
{
    /// <summary>
    /// Same hits as <paramref name="expected"/>, in the same order, with scores equal to float rounding. Keys may
    /// differ only between hits whose scores tie within that rounding (native and managed arithmetic round differently).
    /// </summary>
    public static void SameTopK(VectorHit[] expected, VectorHit[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i].Score - actual[i].Score) <= tolerance, $"rank {i}: expected score {expected[i].Score} (key {expected[i].Key}), got {actual[i].Score} (key {actual[i].Key})");
            if (expected[i].Key != actual[i].Key)
            {
                bool tie = expected.Any(e => e.Key == actual[i].Key && Math.Abs(e.Score - actual[i].Score) <= tolerance)
                    || Math.Abs(expected[^1].Score - actual[i].Score) <= tolerance;
                Assert.True(tie, $"rank {i}: expected key {expected[i].Key}, got {actual[i].Key} which is no tie");
            }
        }
    }

    public static double Recall(VectorHit[] truth, VectorHit[] found)
    {
        var keys = truth.Select(h => h.Key).ToHashSet();
        return (double)found.Count(h => keys.Contains(h.Key)) / truth.Length;
    }
}
