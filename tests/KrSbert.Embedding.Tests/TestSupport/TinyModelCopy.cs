using System.Diagnostics;

namespace KrSbert.Embedding.Tests.TestSupport;

/// <summary>
/// A writable copy of the tiny random model folder in a temp folder, so a test may change its files; with
/// <c>int8: true</c> it also holds <c>model.int8.onnx</c>, written by the checkout's <c>deploy/quantize_int8.py</c>
/// (Debian's python3-onnx), the quantiser deploy/export_model.py uses: per-column symmetric int8 weights in ONNX
/// Runtime's reduced range [-64, 64], FFN down-projections kept in float, ONNX Runtime's own graph form.
/// </summary>
public sealed class TinyModelCopy : IDisposable
{
    /// <summary>The quantiser, relative to the checkout.</summary>
    public const string Quantizer = "deploy/quantize_int8.py";

    /// <summary>The quantiser in this checkout, or null when the tests run outside one.</summary>
    public static string? QuantizerPath { get; } = FindQuantizer();

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
            Quantize(System.IO.Path.Combine(Path, "model.onnx"), System.IO.Path.Combine(Path, "model.int8.onnx"), QuantizationReport);
        }
    }

    public string Path { get; }

    public string ModelFile => System.IO.Path.Combine(Path, "model.onnx");

    /// <summary>The quantiser's JSON report (written when the copy is quantised): what it quantised and kept, read back from the file it wrote.</summary>
    public string QuantizationReport => System.IO.Path.Combine(Path, "model.int8.report.json");

    /// <summary>Debian's interpreter, which sees python3-onnx (a pyenv python3 earlier on PATH may not).</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>Whether python3 with the onnx and numpy packages is installed.</summary>
    public static bool CanQuantize { get; } = Probe();

    public void Dispose() => Directory.Delete(Path, recursive: true);

    private static void Quantize(string input, string output, string report)
    {
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { QuantizerPath ?? throw new InvalidOperationException($"{Quantizer} is missing: the tests run outside a checkout"), input, output, "--report", report },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("quantize_int8.py ran over two minutes");
        }

        if (process.ExitCode != 0 || !File.Exists(output))
        {
            throw new InvalidOperationException($"quantize_int8.py failed ({process.ExitCode}): {stderr} {stdout.Result}");
        }
    }

    private static string? FindQuantizer()
    {
        // The test runs from tests/<project>/bin/<config>/<tfm>; the quantiser sits in the checkout's deploy/.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "KrSbert.sln")))
            {
                string path = System.IO.Path.Combine(dir.FullName, Quantizer);
                return File.Exists(path) ? path : null;
            }
        }

        return null;
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

        if (!SharedFolder.Has(TestModels.TinyRandomFolder))
        {
            Skip = SharedFolder.SkipReason(TestModels.TinyRandomFolder);
        }
        else if (TinyModelCopy.QuantizerPath is null)
        {
            Skip = $"needs {TinyModelCopy.Quantizer} from the checkout";
        }
        else if (!TinyModelCopy.CanQuantize)
        {
            Skip = "needs python3 with Debian's python3-onnx and python3-numpy to quantise the tiny model (apt-get install -y python3-onnx python3-numpy)";
        }
    }
}
