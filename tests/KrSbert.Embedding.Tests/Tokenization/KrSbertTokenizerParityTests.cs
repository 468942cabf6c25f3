using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Tokenization;

public class KrSbertTokenizerParityTests
{
    [SharedFact(TestModels.KrSbertFolder)]
    public void Seed_sentence_encodes_to_the_notebook_ids()
    {
        int[] ids = TestModels.KrSbertTokenizer.EncodeIds("안녕하세요. 저는 진학사에 다니고 있습니다.", out bool truncated);

        Assert.Equal([2, 19185, 18, 9770, 17353, 9651, 20797, 9023, 18, 3], ids);
        Assert.False(truncated);
    }

    [SharedFact(ReferenceTokenIds.RelativePath)]
    public void Every_real_text_line_equals_hugging_face_ids()
    {
        var reference = ReferenceTokenIds.Load();
        var real = reference.Take(reference.Count - ReferenceTokenIds.AdversarialCount).ToList();
        var mismatches = Mismatches(real).ToList();

        Assert.True(real.Count > 16_000, $"expected the full reference file, read {real.Count} real-text lines");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {real.Count} differ, first: {string.Join(" | ", mismatches.Take(3))}");
    }

    [SharedFact(ReferenceTokenIds.RelativePath)]
    public void At_least_98_of_99_adversarial_lines_equal_hugging_face_ids()
    {
        var reference = ReferenceTokenIds.Load();
        var adversarial = reference.Skip(reference.Count - ReferenceTokenIds.AdversarialCount).ToList();
        var mismatches = Mismatches(adversarial).ToList();

        Assert.True(mismatches.Count <= 1, $"{mismatches.Count} of 99 differ: {string.Join(" | ", mismatches)}");
    }

    internal static IEnumerable<string> Mismatches(IEnumerable<(string Text, int[] Ids)> lines)
    {
        foreach ((string text, int[] expected) in lines)
        {
            int[] actual = TestModels.KrSbertTokenizer.EncodeIds(text, out _, maxSequenceLength: int.MaxValue);
            if (!actual.AsSpan().SequenceEqual(expected))
            {
                yield return $"{Escape(text)} => [{string.Join(",", actual)}] expected [{string.Join(",", expected)}]";
            }
        }
    }

    private static string Escape(string text) =>
        string.Concat(text.Take(80).Select(c => c < 32 || char.IsSurrogate(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format ? $"\\u{(int)c:X4}" : c.ToString()));
}
