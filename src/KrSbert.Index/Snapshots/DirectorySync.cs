using System.Runtime.InteropServices;

namespace KrSbert.Index.Snapshots;

/// <summary>
/// fsync of a directory, so that a rename inside it survives a power cut. .NET has no API for it (a directory
/// cannot be opened as a file stream), so libc is called through function pointers; best effort: where it is
/// unavailable or refused (some file systems), the rename is as durable as the file system makes it anyway.
/// </summary>
internal static unsafe class DirectorySync
{
    private static readonly nint s_open;
    private static readonly nint s_fsync;
    private static readonly nint s_close;

    static DirectorySync()
    {
        string? libc = OperatingSystem.IsLinux() ? "libc.so.6" : OperatingSystem.IsMacOS() ? "/usr/lib/libSystem.B.dylib" : null;
        if (libc is not null
            && NativeLibrary.TryLoad(libc, out nint library)
            && NativeLibrary.TryGetExport(library, "open", out nint open)
            && NativeLibrary.TryGetExport(library, "fsync", out nint fsync)
            && NativeLibrary.TryGetExport(library, "close", out nint close))
        {
            s_open = open;
            s_fsync = fsync;
            s_close = close;
        }
    }

    public static void Flush(string directory)
    {
        if (s_open == 0)
        {
            return;
        }

        nint path = Marshal.StringToCoTaskMemUTF8(directory);
        try
        {
            // O_RDONLY (0) opens a directory on Linux and macOS alike; O_DIRECTORY's value differs between them.
            int fd = ((delegate* unmanaged<nint, int, int>)s_open)(path, 0);
            if (fd >= 0)
            {
                _ = ((delegate* unmanaged<int, int>)s_fsync)(fd);
                _ = ((delegate* unmanaged<int, int>)s_close)(fd);
            }
        }
        finally
        {
            Marshal.FreeCoTaskMem(path);
        }
    }
}
