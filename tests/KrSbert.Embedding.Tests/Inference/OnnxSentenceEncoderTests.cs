using System.Runtime.InteropServices;
using KrSbert.Embedding.Inference;
using KrSbert.Embedding.Models;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Inference;

public class OnnxSentenceEncoderTests
{
    [SharedFact(TestModels.TinyRandomFolder)]
    public void Onnx_runtime_output_equals_torch_on_the_tiny_model_probe()
    {
        string probe = Path.Combine(AppContext.BaseDirectory, "TestData", "tiny-random-torch-probe");
        long[] ids = ReadAll<long>(Path.Combine(probe, "ref.ids.i64"));
        long[] mask = ReadAll<long>(Path.Combine(probe, "ref.mask.i64"));
        long[] types = ReadAll<long>(Path.Combine(probe, "ref.tt.i64"));
        float[] expected = ReadAll<float>(Path.Combine(probe, "ref.out.f32"));
        const int batch = 3, sequence = 21, hidden = 32;
        var source = new OnnxModelSource.File(Path.Combine(SharedFolder.PathOf(TestModels.TinyRandomFolder), "model.onnx"));
        using var encoder = OnnxSentenceEncoder.Load(source, hidden, new OnnxRuntimeOptions());

        using var output = encoder.Run(ids, mask, types, batch, sequence, (int)mask.Sum());
        ReadOnlySpan<float> actual = output.GetTensorDataAsSpan<float>();

        float worst = 0;
        for (int position = 0; position < batch * sequence; position++)
        {
            if (mask[position] == 0)
            {
                continue;
            }

            for (int d = 0; d < hidden; d++)
            {
                worst = Math.Max(worst, Math.Abs(actual[position * hidden + d] - expected[position * hidden + d]));
            }
        }

        Assert.True(worst < 1e-4f, $"largest difference from torch: {worst}");
        Assert.Equal(1, encoder.Statistics.Runs);
    }

    private static T[] ReadAll<T>(string path) where T : struct => MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(path)).ToArray();
}
