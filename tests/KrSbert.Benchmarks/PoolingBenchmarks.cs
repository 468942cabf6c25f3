using BenchmarkDotNet.Attributes;
using KrSbert.Embedding.Pooling;

namespace KrSbert.Benchmarks;

/// <summary>Pooling writes into the caller's buffer: zero bytes allocated, for any mode.</summary>
[MemoryDiagnoser]
public class PoolingBenchmarks
{
    private const int Hidden = 768;
    private const int Tokens = 64;
    private readonly float[] _tokenVectors = new float[Tokens * Hidden];
    private readonly float[] _destination = new float[4 * Hidden];

    [Params(PoolingMode.Mean, PoolingMode.Cls | PoolingMode.Max | PoolingMode.Mean | PoolingMode.MeanSqrtLen)]
    public PoolingMode Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        for (int i = 0; i < _tokenVectors.Length; i++)
        {
            _tokenVectors[i] = (float)random.NextDouble() - 0.5f;
        }
    }

    [Benchmark]
    public float Pool()
    {
        SentencePooler.Pool(_tokenVectors, Tokens, Hidden, Mode, normalize: true, _destination);
        return _destination[0];
    }
}
