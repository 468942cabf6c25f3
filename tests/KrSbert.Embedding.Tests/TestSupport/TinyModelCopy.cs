using System.Diagnostics;

namespace KrSbert.Embedding.Tests.TestSupport;

/// <summary>
/// A writable copy of the tiny random model folder in a temp folder, so a test may change its files; with
/// <c>int8: true</c> it also holds <c>model.int8.onnx</c>, written by <c>../shared/tools/int8/quantize.py</c>
/// (Debian's python3-onnx) with the recipe deploy/export_model.py uses: per-column symmetric 7-bit weights,
/// FFN down-projections kept in float.
/// </summary>
public sealed class TinyModelCopy : IDisposable
{
    public const string Quantizer = "tools/int8/quantize.py";

    public TinyModelCopy(bool quantized = false)
    {
        string source = SharedFolder.PathOf(TestModels.TinyRandomFolder);
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "krsbert-tiny-" + Guid.NewGuid().ToString("N"));
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = System.IO.Path.Combine(Path, System.IO.Path.GetRelativePath(source, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetAttributes(target, FileAttributes.Normal);
        }

        if (quantized)
        {
            Quantize(System.IO.Path.Combine(Path, "model.onnx"), System.IO.Path.Combine(Path, "model.int8.onnx"));
        }
    }

    public string Path { get; }

    public string ModelFile => System.IO.Path.Combine(Path, "model.onnx");

    /// <summary>Debian's interpreter, which sees python3-onnx (a pyenv python3 earlier on PATH may not).</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>Whether python3 with the onnx and numpy packages is installed.</summary>
    public static bool CanQuantize { get; } = Probe();

    public void Dispose() => Directory.Delete(Path, recursive: true);

    private static void Quantize(string input, string output)
    {
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { SharedFolder.PathOf(Quantizer), input, output, "--reduce-range", "--keep-down-float" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("quantize.py ran over two minutes");
        }

        if (process.ExitCode != 0 || !File.Exists(output))
        {
            throw new InvalidOperationException($"quantize.py failed ({process.ExitCode}): {stderr} {stdout.Result}");
        }
    }

    private static bool Probe()
    {
        try
        {
            using Process process = Process.Start(new ProcessStartInfo(Python) { ArgumentList = { "-c", "import onnx, numpy" }, RedirectStandardError = true })!;
            process.StandardError.ReadToEnd();
            return process.WaitForExit(TimeSpan.FromSeconds(60)) && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

/// <summary>
/// A fact that quantises the tiny model: skipped with a reason when ../shared or python3-onnx is absent, except
/// under CI, where .ci/run installs python3-onnx and the test runs (and fails if it cannot).
/// </summary>
public sealed class QuantizerFactAttribute : FactAttribute
{
    public QuantizerFactAttribute()
    {
        if (SharedFolder.IsRequired)
        {
            return;
        }

        if (!SharedFolder.Has(TestModels.TinyRandomFolder) || !SharedFolder.Has(TinyModelCopy.Quantizer))
        {
            Skip = SharedFolder.SkipReason(TinyModelCopy.Quantizer);
        }
        else if (!TinyModelCopy.CanQuantize)
        {
            Skip = "needs python3 with Debian's python3-onnx and python3-numpy to quantise the tiny model (apt-get install -y python3-onnx python3-numpy)";
        }
    }
}
