using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace KrSbert.Index.Native;

/// <summary>
/// Distance functions for f32 storage that USearch calls through <c>usearch_change_metric</c> in place of its
/// NumKong kernels. NumKong 2.26's f32 kernels (dot and angular alike, the "skylake" ones on AVX-512) widen every
/// element to f64 and accumulate in one register chain: latency-bound at 8 elements per 4 cycles, the measured
/// reason USearch searched at about 0.5x hnswlib's pace. These keep f32, 4 independent chains of the widest vector
/// the runtime accelerates, as hnswlib does; the reverse P/Invoke into them costs less than the difference.
/// </summary>
/// <remarks>
/// USearch passes (a, b, state) and expects a float distance; the state is the dimension count, never 0.
/// Distances follow USearch's builtin definitions: ip is 1 − dot product, l2sq the squared Euclidean distance.
/// Cosine indexes store unit vectors (see <see cref="HnswIndex"/>), so their distance is the ip one.
/// </remarks>
internal static unsafe class DistanceKernels
{
    /// <summary>The kernels' name, for <see cref="HnswIndex.Engine"/>.</summary>
    public static string Description =>
        Vector512.IsHardwareAccelerated ? "managed f32, 512-bit" :
        Vector256.IsHardwareAccelerated ? "managed f32, 256-bit" :
        Vector128.IsHardwareAccelerated ? "managed f32, 128-bit" : "managed f32, scalar";

    /// <summary>1 − a·b: inner product, and cosine over unit vectors.</summary>
    [UnmanagedCallersOnly]
    public static float InnerProductDistance(float* a, float* b, nint dimensions) => 1f - Dot(a, b, (int)dimensions);

    /// <summary>|a − b|².</summary>
    [UnmanagedCallersOnly]
    public static float SquaredEuclideanDistance(float* a, float* b, nint dimensions) => SquaredDistance(a, b, (int)dimensions);

    /// <summary>a·b in f32, summed over four independent accumulators.</summary>
    public static float Dot(float* a, float* b, int n)
    {
        int i = 0;
        float sum;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (; i <= n - (4 * Vector512<float>.Count); i += 4 * Vector512<float>.Count)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 32), Vector512.Load(b + i + 32), s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 48), Vector512.Load(b + i + 48), s3);
            }

            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
            }

            sum = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (; i <= n - (4 * Vector256<float>.Count); i += 4 * Vector256<float>.Count)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 16), Vector256.Load(b + i + 16), s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 24), Vector256.Load(b + i + 24), s3);
            }

            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
            }

            sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        }
        else
        {
            sum = 0f;
        }

        for (; i < n; i++)
        {
            sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        }

        return sum;
    }

    /// <summary>|a − b|² in f32, summed over four independent accumulators.</summary>
    public static float SquaredDistance(float* a, float* b, int n)
    {
        int i = 0;
        float sum;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (; i <= n - (4 * Vector512<float>.Count); i += 4 * Vector512<float>.Count)
            {
                s0 = Squared512(a + i, b + i, s0);
                s1 = Squared512(a + i + 16, b + i + 16, s1);
                s2 = Squared512(a + i + 32, b + i + 32, s2);
                s3 = Squared512(a + i + 48, b + i + 48, s3);
            }

            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                s0 = Squared512(a + i, b + i, s0);
            }

            sum = Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (; i <= n - (4 * Vector256<float>.Count); i += 4 * Vector256<float>.Count)
            {
                s0 = Squared256(a + i, b + i, s0);
                s1 = Squared256(a + i + 8, b + i + 8, s1);
                s2 = Squared256(a + i + 16, b + i + 16, s2);
                s3 = Squared256(a + i + 24, b + i + 24, s3);
            }

            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                s0 = Squared256(a + i, b + i, s0);
            }

            sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        }
        else
        {
            sum = 0f;
        }

        for (; i < n; i++)
        {
            float delta = a[i] - b[i];
            sum = MathF.FusedMultiplyAdd(delta, delta, sum);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Squared512(float* a, float* b, Vector512<float> sum)
    {
        Vector512<float> delta = Vector512.Load(a) - Vector512.Load(b);
        return Vector512.FusedMultiplyAdd(delta, delta, sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Squared256(float* a, float* b, Vector256<float> sum)
    {
        Vector256<float> delta = Vector256.Load(a) - Vector256.Load(b);
        return Vector256.FusedMultiplyAdd(delta, delta, sum);
    }
}
