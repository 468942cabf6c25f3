using KrSbert.Embedding.Tests.TestSupport;
using KrSbert.Embedding.Tokenization;

namespace KrSbert.Embedding.Tests.Tokenization;

public class TokenizerBehaviourTests
{
    [SharedFact(TestModels.KrSbertFolder)]
    public void Offsets_point_at_each_token_in_the_original_text()
    {
        const string text = "안녕하세요. 저는 진학사에 다니고 있습니다.";

        var tokens = TestModels.KrSbertTokenizer.Tokenize(text);

        Assert.Equal("[CLS]", tokens.Tokens[0]);
        Assert.Equal("[SEP]", tokens.Tokens[^1]);
        for (int i = 1; i < tokens.Tokens.Count - 1; i++)
        {
            string surface = text[tokens.Offsets[i].Start..tokens.Offsets[i].End];
            Assert.Equal(tokens.Tokens[i].Replace("##", "", StringComparison.Ordinal), surface);
        }
    }

    [SharedFact(TestModels.KrSbertFolder)]
    public void Literal_special_tokens_in_text_are_special_tokens()
    {
        int[] ids = TestModels.KrSbertTokenizer.EncodeIds("가[SEP]나 [MASK]", out _);

        Assert.Equal(2, ids[0]);
        Assert.Contains(3, ids[1..^1]);
        Assert.Contains(4, ids[1..^1]);
    }

    [SharedFact(TestModels.KrSbertFolder)]
    public void A_word_over_100_code_points_is_unknown_but_100_surrogate_pairs_are_not_counted_twice()
    {
        var tokenizer = TestModels.KrSbertTokenizer;

        int[] longWord = tokenizer.EncodeIds(new string('가', 101), out _);
        int[] sixtyEmoji = tokenizer.EncodeIds(string.Concat(Enumerable.Repeat("😀", 60)), out _, int.MaxValue);
        int[] hundredOneEmoji = tokenizer.EncodeIds(string.Concat(Enumerable.Repeat("😀", 101)), out _, int.MaxValue);

        Assert.Equal([2, 1, 3], longWord);
        // 60 code points are 120 UTF-16 units: under the limit, so WordPiece splits them (😀 and ##😀 are in the vocabulary).
        Assert.Equal(62, sixtyEmoji.Length);
        Assert.Equal([2, 1, 3], hundredOneEmoji);
        Assert.NotEqual([2, 1, 3], tokenizer.EncodeIds(new string('가', 100), out _));
    }

    [Fact]
    public void Uncased_normalizer_lowercases_and_strips_accents_but_keeps_special_tokens()
    {
        var normalizer = new BertNormalizer(BertNormalizerOptions.Uncased, ["[CLS]"]);

        Assert.Equal("cafe [CLS] naive", normalizer.Normalize("Café [CLS] NAÏVE"));
    }

    [Fact]
    public void Cased_normalizer_removes_controls_and_format_characters_and_spaces_out_ideographs()
    {
        var normalizer = new BertNormalizer(BertNormalizerOptions.Cased);

        Assert.Equal("a bc 中  Dé", normalizer.Normalize("a\tb\u200Bc\u0007中\nDé"));
    }

    [Fact]
    public void Pre_tokenizer_isolates_every_ascii_symbol_and_splits_on_underscore()
    {
        var words = new BertPreTokenizer().PreTokenize("a$b+c<d=e>f^g|h~i_j");

        Assert.Equal(19, words.Count());
    }

    [SharedFact(ReferenceTokenIds.RelativePath)]
    public void Microsoft_ml_tokenizer_with_these_plug_ins_matches_hugging_face_on_real_text()
    {
        var microsoft = TestModels.KrSbertTokenizer.CreateMicrosoftTokenizer();
        var reference = ReferenceTokenIds.Load();
        var real = reference.Take(reference.Count - ReferenceTokenIds.AdversarialCount).ToList();

        int equal = real.Count(line => microsoft.EncodeToIds(line.Text).SequenceEqual(line.Ids));

        Assert.Equal(real.Count, equal);
    }
}
