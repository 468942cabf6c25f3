using System.Diagnostics;

namespace KrSbert.Storage.Tests.TestSupport;

/// <summary>
/// A size-limited tmpfs the test mounts itself, so a full disk is real (ENOSPC from the kernel) and can grow
/// again with a remount. Needs root (CI runs as root); unmounted on dispose.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private static readonly Lazy<string?> s_unavailable = new(Probe);

    private TmpfsMount(string path) => Path = path;

    /// <summary>The mounted folder.</summary>
    public string Path { get; }

    /// <summary>Why mounting is not possible here, or null when it is.</summary>
    public static string? Unavailable => s_unavailable.Value;

    /// <summary>Whether a test that needs a mount must run (and fail) rather than skip: under CI.</summary>
    public static bool IsRequired => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static TmpfsMount Create(int sizeMiB)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "krsbert-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        try
        {
            Run("mount", "-t", "tmpfs", "-o", $"size={sizeMiB}m", "tmpfs", path);
        }
        catch
        {
            Directory.Delete(path);
            throw;
        }

        return new TmpfsMount(path);
    }

    /// <summary>Changes the size (grows a full file system) without unmounting.</summary>
    public void Resize(int sizeMiB) => Run("mount", "-o", $"remount,size={sizeMiB}m", Path);

    public void Dispose()
    {
        // Lazy unmount: a file handle a failed test left open must not leave the mount behind.
        Run("umount", "-l", Path);
        Directory.Delete(Path);
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "needs Linux to mount a tmpfs";
        }

        try
        {
            using TmpfsMount probe = Create(1);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return $"needs permission to mount a tmpfs (root in CI): {e.Message}";
        }
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish in 30 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Trim()}");
        }
    }
}

/// <summary>A fact that mounts a tmpfs: skipped with the reason where mounting is not permitted, except under CI where it must run.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!TmpfsMount.IsRequired && TmpfsMount.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
