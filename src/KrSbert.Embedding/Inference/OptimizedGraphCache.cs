using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;
using KrSbert.Embedding.Models;
using Microsoft.ML.OnnxRuntime;

namespace KrSbert.Embedding.Inference;

/// <summary>
/// A folder of ONNX graphs as ONNX Runtime optimised them (<see cref="SessionOptions.OptimizedModelFilePath"/>),
/// so a later start loads the fused graph instead of optimising the export again. A cached graph is valid only
/// for the same model bytes, the same ONNX Runtime and the same CPU (the optimiser picks kernels and layouts by
/// instruction set), so all three make its folder name: when any changes, the name changes and the graph is rebuilt.
/// Each entry is a folder holding the graph (<c>model.onnx</c>) and its weights (<c>model.onnx.data</c>).
/// </summary>
internal sealed class OptimizedGraphCache(string directory)
{
    /// <summary>Bumped when what this class writes changes meaning, so old files are never read as new ones.</summary>
    private const int FormatVersion = 2;

    /// <summary>Temporary folders of a start that was killed are removed once they are this old (a live build is younger).</summary>
    private static readonly TimeSpan s_staleTemporary = TimeSpan.FromMinutes(30);

    private const string GraphFile = "model.onnx";
    private const string WeightsFile = "model.onnx.data";
    private const string ManifestFile = "entry.manifest";
    private const string TemporarySuffix = ".tmp";

    private static readonly Lazy<string> s_cpuFeatures = new(ReadCpuFeatures);

    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>
    /// Opens a session over <paramref name="source"/>: from the cached optimised graph when one matches, otherwise
    /// from the source, writing the optimised graph for next time. A cached file ONNX Runtime cannot load is
    /// deleted and rebuilt. <paramref name="configure"/> sets the session options both paths share.
    /// </summary>
    public (InferenceSession Session, GraphCacheUse Use) Open(OnnxModelSource source, Func<SessionOptions> configure)
    {
        System.IO.Directory.CreateDirectory(Directory);
        (string prefix, string modelHash) = Identify(source);
        string key = Key(modelHash, OrtVersion, s_cpuFeatures.Value);
        string entry = Path.Combine(Directory, $"{prefix}-{key}");
        string cached = Path.Combine(entry, GraphFile);

        GraphCacheOutcome outcome = GraphCacheOutcome.Created;
        if (File.Exists(cached) && !Complete(entry))
        {
            // A power loss can keep the renamed folder without all it held: an entry is used only as it was written.
            System.IO.Directory.Delete(entry, recursive: true);
            outcome = GraphCacheOutcome.Rebuilt;
        }

        if (File.Exists(cached))
        {
            using SessionOptions fused = configure();
            // The file is already optimised; running the optimiser over it again is the cost being saved.
            fused.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
            try
            {
                return (new InferenceSession(cached, fused), new GraphCacheUse(cached, GraphCacheOutcome.Reused, modelHash));
            }
            catch (OnnxRuntimeException)
            {
                // A damaged entry (a disk error, a hand edit) must never decide the vectors; build it again.
                System.IO.Directory.Delete(entry, recursive: true);
                outcome = GraphCacheOutcome.Rebuilt;
            }
        }

        RemoveStale(prefix, entry);
        // Written into a folder of its own and renamed only once complete, so a start killed mid-write leaves a
        // temporary folder that no later start loads. The weights go to a file beside the graph, which ONNX
        // Runtime maps into memory at the next start instead of copying them out of a protobuf.
        string temporary = $"{entry}.{Environment.ProcessId}.{Guid.NewGuid():N}{TemporarySuffix}";
        System.IO.Directory.CreateDirectory(temporary);
        InferenceSession session;
        using (SessionOptions options = configure())
        {
            options.OptimizedModelFilePath = Path.Combine(temporary, GraphFile);
            // ONNX Runtime warns that a graph optimised at this level fits only this machine; the CPU features in the
            // key are the answer to that, so the warning would only alarm operators at every first start.
            options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
            options.AddSessionConfigEntry("session.optimized_model_external_initializers_file_name", WeightsFile);
            options.AddSessionConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes", "1024");
            try
            {
                session = OnnxSentenceEncoder.OpenSource(source, options);
            }
            catch
            {
                System.IO.Directory.Delete(temporary, recursive: true);
                throw;
            }
        }

        try
        {
            Seal(temporary);
            System.IO.Directory.Move(temporary, entry);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process renamed the same graph first: the session is good either way.
            System.IO.Directory.Delete(temporary, recursive: true);
        }

        return (session, new GraphCacheUse(cached, outcome, modelHash));
    }

    /// <summary>
    /// Flushes the entry's files to disk, then writes and flushes a manifest of their sizes, before the rename that
    /// publishes the entry: a published entry whose manifest is missing or disagrees was not completely written.
    /// </summary>
    private static void Seal(string folder)
    {
        var manifest = new StringBuilder();
        foreach (string name in (string[])[GraphFile, WeightsFile])
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path))
            {
                continue;
            }

            using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
            {
                stream.Flush(flushToDisk: true);
                manifest.Append(CultureInfo.InvariantCulture, $"{name} {stream.Length}\n");
            }
        }

        using var written = new FileStream(Path.Combine(folder, ManifestFile), FileMode.CreateNew, FileAccess.Write);
        written.Write(Encoding.UTF8.GetBytes(manifest.ToString()));
        written.Flush(flushToDisk: true);
    }

    /// <summary>Whether every file the entry's manifest lists is there with its size.</summary>
    private static bool Complete(string entry)
    {
        string manifest = Path.Combine(entry, ManifestFile);
        if (!File.Exists(manifest))
        {
            return false;
        }

        string[] lines = File.ReadAllLines(manifest);
        foreach (string line in lines)
        {
            string[] parts = line.Split(' ');
            var file = new FileInfo(Path.Combine(entry, parts[0]));
            if (parts.Length != 2 || !file.Exists || file.Length.ToString(CultureInfo.InvariantCulture) != parts[1])
            {
                return false;
            }
        }

        return lines.Length > 0;
    }

    /// <summary>The entry key: any change of model bytes, ONNX Runtime version or CPU features gives another one.</summary>
    internal static string Key(string modelHash, string ortVersion, string cpuFeatures) =>
        Hex(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n',
            $"format={FormatVersion}", $"model={modelHash}", $"ort={ortVersion}", $"cpu={cpuFeatures}"))))[..32];

    /// <summary>The ONNX Runtime version, part of every key.</summary>
    public static string OrtVersion { get; } = OrtEnv.Instance().GetVersionString();

    /// <summary>The instruction-set features part of every key (the kernel choice depends on them).</summary>
    public static string CpuFeatures => s_cpuFeatures.Value;

    /// <summary>
    /// A file name prefix naming the source (so two folders' <c>model.onnx</c> do not evict each other) and the
    /// SHA-256 of its bytes.
    /// </summary>
    private static (string Prefix, string ModelHash) Identify(OnnxModelSource source)
    {
        switch (source)
        {
            case OnnxModelSource.File file:
            {
                string full = Path.GetFullPath(file.Path);
                string prefix = $"{Sanitize(Path.GetFileNameWithoutExtension(full))}-{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..12]}";
                return (prefix, FileHash(full));
            }

            case OnnxModelSource.Embedded embedded:
                return (Sanitize(embedded.Name), Hex(SHA256.HashData(embedded.Load())));
            default:
                throw new ArgumentOutOfRangeException(nameof(source));
        }
    }

    /// <summary>
    /// The SHA-256 of the file's bytes, read at every start: size and times cannot stand in for it, since `cp -p`,
    /// tar and image layers carry a modification time over to other bytes of the same size (a fine-tuned model).
    /// Hashing 470 MB takes about half a second, well below the optimiser's cost that the cache saves.
    /// </summary>
    private static string FileHash(string path)
    {
        using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        return Hex(SHA256.HashData(stream));
    }

    /// <summary>Graphs of this source under an older key, and temporary folders of killed starts.</summary>
    private void RemoveStale(string prefix, string keep)
    {
        foreach (string path in System.IO.Directory.EnumerateDirectories(Directory, prefix + "-*"))
        {
            bool stale = path.EndsWith(TemporarySuffix, StringComparison.Ordinal)
                ? DateTime.UtcNow - System.IO.Directory.GetLastWriteTimeUtc(path) > s_staleTemporary
                : path != keep;
            if (stale)
            {
                try
                {
                    System.IO.Directory.Delete(path, recursive: true);
                }
                catch (IOException)
                {
                    // Another process holds it; the next start tries again.
                }
            }
        }
    }

    private static string ReadCpuFeatures()
    {
        var features = new StringBuilder(RuntimeInformation.ProcessArchitecture.ToString());
        // Linux lists every flag ONNX Runtime's CPU dispatch looks at (avx512_vnni, avx_vnni, amx...).
        const string cpuinfo = "/proc/cpuinfo";
        if (File.Exists(cpuinfo))
        {
            foreach (string line in File.ReadLines(cpuinfo))
            {
                if (line.StartsWith("flags", StringComparison.Ordinal) || line.StartsWith("Features", StringComparison.Ordinal))
                {
                    features.Append(' ').Append(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim());
                    return features.ToString();
                }
            }
        }

        // Elsewhere, what .NET can see of the x86 extensions that decide the kernels.
        (string Name, bool Supported)[] x86 =
        [
            ("avx", Avx.IsSupported), ("avx2", Avx2.IsSupported), ("fma", Fma.IsSupported), ("avx512f", Avx512F.IsSupported),
            ("avx512bw", Avx512BW.IsSupported), ("avx512vl", Avx512F.VL.IsSupported), ("avxvnni", AvxVnni.IsSupported),
        ];
        foreach ((string name, bool supported) in x86)
        {
            if (supported)
            {
                features.Append(' ').Append(name);
            }
        }

        return features.ToString();
    }

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' ? c : '_');
        }

        return builder.Length == 0 ? "model" : builder.ToString();
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}

/// <summary>What became of the optimised-graph cache when a model loaded.</summary>
public enum GraphCacheOutcome
{
    /// <summary>No matching graph was cached: the model was optimised and the result written.</summary>
    Created,

    /// <summary>The cached optimised graph was loaded; the optimiser did not run.</summary>
    Reused,

    /// <summary>The cached file could not be loaded (damaged), so it was deleted and written again.</summary>
    Rebuilt,

    /// <summary>The cache folder could not be used (not writable); the model was optimised in memory only.</summary>
    Unavailable,
}

/// <summary>The cached graph a model loaded from or wrote.</summary>
/// <param name="Path">The cached optimised graph.</param>
/// <param name="Outcome">Whether it was created, reused or rebuilt.</param>
/// <param name="ModelSha256">SHA-256 of the source model's bytes, part of the key; empty when the cache was unavailable.</param>
public sealed record GraphCacheUse(string Path, GraphCacheOutcome Outcome, string ModelSha256)
{
    /// <summary>Why the cache was unavailable; null otherwise.</summary>
    public string? Problem { get; init; }
}
