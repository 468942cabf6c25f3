using System.Numerics.Tensors;

namespace KrSbert.Embedding.Pooling;

/// <summary>
/// sentence-transformers' <c>Pooling</c> and <c>Normalize</c> modules over one text's token vectors
/// (padding rows excluded), written into a caller's buffer without allocating.
/// </summary>
public static class SentencePooler
{
    /// <summary>
    /// Pools <paramref name="tokenVectors"/> (<paramref name="tokenCount"/> rows of <paramref name="hiddenSize"/>,
    /// <c>[CLS]</c> first) into <paramref name="destination"/>, one block of <paramref name="hiddenSize"/> per mode.
    /// </summary>
    public static void Pool(ReadOnlySpan<float> tokenVectors, int tokenCount, int hiddenSize, PoolingMode modes, bool normalize, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokenCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        if (tokenVectors.Length < tokenCount * hiddenSize)
        {
            throw new ArgumentException($"Expected {tokenCount} x {hiddenSize} values, got {tokenVectors.Length}.", nameof(tokenVectors));
        }

        int width = PoolingModes.Count(modes) * hiddenSize;
        if (width == 0 || destination.Length < width)
        {
            throw new ArgumentException($"Pooling {PoolingModes.Format(modes)} writes {width} values; the destination holds {destination.Length}.", nameof(destination));
        }

        int block = 0;
        if (modes.HasFlag(PoolingMode.Cls))
        {
            tokenVectors[..hiddenSize].CopyTo(destination.Slice(block, hiddenSize));
            block += hiddenSize;
        }

        if (modes.HasFlag(PoolingMode.Max))
        {
            Span<float> max = destination.Slice(block, hiddenSize);
            tokenVectors[..hiddenSize].CopyTo(max);
            for (int row = 1; row < tokenCount; row++)
            {
                TensorPrimitives.Max(max, tokenVectors.Slice(row * hiddenSize, hiddenSize), max);
            }

            block += hiddenSize;
        }

        if ((modes & (PoolingMode.Mean | PoolingMode.MeanSqrtLen)) != 0)
        {
            // The sum is accumulated once and scaled for each of the two modes that use it.
            Span<float> sum = destination.Slice(block, hiddenSize);
            tokenVectors[..hiddenSize].CopyTo(sum);
            for (int row = 1; row < tokenCount; row++)
            {
                TensorPrimitives.Add(sum, tokenVectors.Slice(row * hiddenSize, hiddenSize), sum);
            }

            if (modes.HasFlag(PoolingMode.MeanSqrtLen))
            {
                Span<float> sqrtLen = destination.Slice(modes.HasFlag(PoolingMode.Mean) ? block + hiddenSize : block, hiddenSize);
                TensorPrimitives.Divide(sum, MathF.Sqrt(tokenCount), sqrtLen);
            }

            if (modes.HasFlag(PoolingMode.Mean))
            {
                TensorPrimitives.Divide(sum, tokenCount, sum);
            }
        }

        if (normalize)
        {
            Normalize(destination[..width]);
        }
    }

    /// <summary>Divides by the L2 norm, floored at 1e-12 as torch's <c>F.normalize</c> does.</summary>
    public static void Normalize(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        TensorPrimitives.Divide(vector, MathF.Max(norm, 1e-12f), vector);
    }
}
