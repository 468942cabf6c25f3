using KrSbert.Embedding;
using KrSbert.Embedding.Pooling;
using KrSbert.Probe.Data;

namespace KrSbert.Probe.Features;

/// <summary>
/// Turns pooled texts into the feature sets to compare: one text → u; a pair → [|u−v|, u∗v] and
/// [u, v, |u−v|, u∗v]; plus the baselines (mean or majority, cosine only for pairs, TF-IDF).
/// </summary>
public static class CandidateBuilder
{
    /// <summary>Builds every candidate; poolings the model cannot give are named in <paramref name="unavailable"/>.</summary>
    public static IReadOnlyList<ProbeCandidate> Build(ProbeDataset data, IReadOnlyList<PooledText> pooled, IReadOnlyList<PoolingChoice> choices, out IReadOnlyList<string> unavailable)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(pooled);
        ArgumentNullException.ThrowIfNull(choices);
        var candidates = new List<ProbeCandidate>();
        var missing = new List<string>();
        var cosines = new List<ProbeCandidate>();
        foreach (PoolingChoice choice in choices)
        {
            if (choice.IsPooler && pooled.Count > 0 && pooled[0].Pooler is null)
            {
                missing.Add($"{choice.Name}: the ONNX graph has no 'pooler_output' output (deploy/export_model.py exports it)");
                continue;
            }

            double[][] vectors = pooled.Select(p => Vector(p, choice)).ToArray();
            if (!data.IsPairs)
            {
                candidates.Add(new ProbeCandidate(choice.Name, false, data.FirstText.Select(t => vectors[t]).ToArray()));
                continue;
            }

            int n = data.Count;
            var difference = new double[n][];
            var full = new double[n][];
            var cosine = new double[n][];
            for (int i = 0; i < n; i++)
            {
                double[] u = vectors[data.FirstText[i]], v = vectors[data.SecondText![i]];
                int d = u.Length;
                var diff = new double[2 * d];
                var all = new double[4 * d];
                double uv = 0, uu = 0, vv = 0;
                for (int j = 0; j < d; j++)
                {
                    double abs = Math.Abs(u[j] - v[j]), product = u[j] * v[j];
                    diff[j] = abs;
                    diff[d + j] = product;
                    all[j] = u[j];
                    all[d + j] = v[j];
                    all[(2 * d) + j] = abs;
                    all[(3 * d) + j] = product;
                    uv += product;
                    uu += u[j] * u[j];
                    vv += v[j] * v[j];
                }

                difference[i] = diff;
                full[i] = all;
                cosine[i] = [uu > 0 && vv > 0 ? uv / Math.Sqrt(uu * vv) : 0];
            }

            candidates.Add(new ProbeCandidate($"{choice.Name} [|u-v|,u*v]", false, difference));
            candidates.Add(new ProbeCandidate($"{choice.Name} [u,v,|u-v|,u*v]", false, full));
            cosines.Add(new ProbeCandidate($"cosine({choice.Name})", true, cosine));
        }

        candidates.Add(new ProbeCandidate(data.Task == ProbeTask.Regression ? "mean label" : "majority class", true, null));
        candidates.AddRange(cosines);
        var tfIdf = TfIdfVectors.Fit(pooled.Select(p => p.InputIds).ToArray());
        candidates.Add(data.IsPairs
            ? new ProbeCandidate("cosine(tf-idf)", true, Enumerable.Range(0, data.Count).Select(i => new[] { tfIdf.Cosine(data.FirstText[i], data.SecondText![i]) }).ToArray())
            : new ProbeCandidate("tf-idf", true, data.FirstText.Select(tfIdf.Dense).ToArray()));
        unavailable = missing;
        return candidates;
    }

    private static double[] Vector(PooledText text, PoolingChoice choice)
    {
        if (choice.IsPooler)
        {
            return ToDouble(text.Pooler!.Value.Span);
        }

        var vector = new double[text.HiddenSize * PoolingModes.Count(choice.Modes)];
        int offset = 0;
        foreach (PoolingMode mode in PoolingModes.All)
        {
            if (choice.Modes.HasFlag(mode))
            {
                ReadOnlySpan<float> block = text.Of(mode);
                for (int j = 0; j < block.Length; j++)
                {
                    vector[offset + j] = block[j];
                }

                offset += block.Length;
            }
        }

        return vector;
    }

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
