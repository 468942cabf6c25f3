using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Tokenization;

public class TruncationTests
{
    [SharedFact(ReferenceTokenIds.RelativePath)]
    public void Long_texts_keep_the_first_pieces_then_sep_as_hugging_face_truncates()
    {
        // Joined reference lines are long; HF truncation with max_length=128 keeps ids[0..127) then [SEP].
        var reference = ReferenceTokenIds.Load().Take(4000).ToList();
        int checkedTexts = 0;
        for (int i = 0; i + 40 < reference.Count; i += 40)
        {
            var group = reference.Skip(i).Take(40).ToList();
            string text = string.Join(" ", group.Select(g => g.Text));
            int[] full = [2, .. group.SelectMany(g => g.Ids[1..^1]), 3];
            if (full.Length <= 128)
            {
                continue;
            }

            int[] truncated = TestModels.KrSbertTokenizer.EncodeIds(text, out bool wasTruncated);

            Assert.True(wasTruncated);
            Assert.Equal([.. full[..127], 3], truncated);
            checkedTexts++;
        }

        Assert.True(checkedTexts > 50, $"only {checkedTexts} long texts were built");
    }

    [SharedFact(TestModels.KrSbertFolder)]
    public void A_word_cut_by_the_limit_keeps_its_leading_pieces()
    {
        var tokenizer = TestModels.KrSbertTokenizer;
        string text = "진학사에";
        int[] full = tokenizer.EncodeIds(text, out _);
        Assert.True(full.Length >= 4, "the test needs a word of at least two pieces");

        int[] cut = tokenizer.EncodeIds(text, out bool truncated, maxSequenceLength: 3);

        Assert.True(truncated);
        Assert.Equal([2, full[1], 3], cut);
    }

    [SharedFact(TestModels.KrSbertFolder)]
    public void Tokenize_reports_truncation_and_the_untruncated_length()
    {
        string text = string.Join(" ", Enumerable.Repeat("한 남자가 큰 플루트를 연주하고 있다.", 30));

        var tokens = TestModels.KrSbertTokenizer.Tokenize(text);

        Assert.True(tokens.Truncated);
        Assert.Equal(128, tokens.InputIds.Count);
        Assert.Equal(3, tokens.InputIds[^1]);
        Assert.True(tokens.UntruncatedLength > 128);
        Assert.All(tokens.AttentionMask, m => Assert.Equal(1, m));
        Assert.All(tokens.TokenTypeIds, t => Assert.Equal(0, t));
    }
}
