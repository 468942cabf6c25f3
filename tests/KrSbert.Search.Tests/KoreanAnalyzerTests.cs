using KrSbert.Search.Lexical;

namespace KrSbert.Search.Tests;

public class KoreanAnalyzerTests
{
    [Theory]
    [InlineData("경찰은", "경찰")]
    [InlineData("아이의", "아이")]
    [InlineData("사건과", "사건")]
    [InlineData("대한민국의", "대한민국")]
    [InlineData("탈퇴하려면", "탈퇴")]
    public void A_noun_with_a_particle_shares_every_term_of_the_bare_noun(string word, string noun)
    {
        IReadOnlyList<string> wordTerms = KoreanAnalyzer.Terms(word);
        IReadOnlyList<string> nounTerms = KoreanAnalyzer.Terms(noun);

        Assert.Contains(noun[..2], wordTerms);
        Assert.All(nounTerms, term => Assert.Contains(term, wordTerms));
    }

    [Fact]
    public void Hangul_words_yield_syllables_and_adjacent_pairs_in_text_order()
    {
        Assert.Equal(["경", "경찰", "찰", "찰은", "은"], KoreanAnalyzer.Terms("경찰은"));
    }

    [Fact]
    public void Pairs_do_not_cross_whitespace_punctuation_or_a_latin_run()
    {
        IReadOnlyList<string> terms = KoreanAnalyzer.Terms("회원, 탈퇴KTX를");

        Assert.Equal(["회", "회원", "원", "탈", "탈퇴", "퇴", "ktx", "를"], terms);
    }

    [Fact]
    public void Latin_and_digit_runs_are_lowercased_and_kept_whole()
    {
        Assert.Equal(["iphone15", "pro", "a", "b", "2026", "11"], KoreanAnalyzer.Terms("iPhone15 PRO! a-b 2026.11"));
    }

    [Fact]
    public void A_latin_run_longer_than_the_stack_buffer_is_kept_whole()
    {
        string run = new('X', 1000);

        Assert.Equal([new string('x', 1000)], KoreanAnalyzer.Terms(run));
    }

    [Fact]
    public void Text_of_only_punctuation_and_spaces_has_no_terms()
    {
        Assert.Empty(KoreanAnalyzer.Terms("  ?! ... -- "));
    }
}
