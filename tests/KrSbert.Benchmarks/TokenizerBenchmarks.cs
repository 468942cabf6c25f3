using BenchmarkDotNet.Attributes;
using KrSbert.Embedding.Tokenization;

namespace KrSbert.Benchmarks;

/// <summary>
/// Tokenising allocates its result and nothing per token: the allocated bytes stay the size of the
/// returned id array (4 bytes an id plus the array header) whatever the text's length.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private WordPieceTokenizer _tokenizer = null!;

    [Params(1, 8)]
    public int Sentences { get; set; }

    private string _text = "";

    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = BenchmarkModel.Tokenizer();
        _text = string.Join(" ", Enumerable.Repeat("안녕하세요. 저는 진학사에 다니고 있습니다.", Sentences));
    }

    [Benchmark]
    public int EncodeIds() => _tokenizer.EncodeIds(_text, out _, int.MaxValue).Length;

    [Benchmark]
    public int CountTokens() => _tokenizer.CountTokens(_text);
}
