namespace KrSbert.Storage.Files;

/// <summary>
/// A database file whose <see cref="Flush"/> reaches the disk. LiteDB flushes a file it was given as a stream
/// with <see cref="Stream.Flush()"/>, which on a plain <see cref="FileStream"/> only empties .NET's buffer; the
/// checkpoint that copies the log into the data file and then truncates the log needs a real fsync in between.
/// Writes go straight to the OS (no buffer), so what LiteDB wrote is what <see cref="Flush"/> fsyncs.
/// </summary>
internal sealed class SyncedFileStream : Stream
{
    private readonly FileStream _file;
    private readonly Func<Exception?>? _writeFault;

    /// <param name="path">The file, created when missing.</param>
    /// <param name="writeFault">Asked before every write and flush; an exception it returns is thrown instead (tests simulate a failing disk with it).</param>
    public SyncedFileStream(string path, Func<Exception?>? writeFault)
    {
        // Others may read (backup tools), nobody else may write: LiteDB's own writer opens its files the same way.
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);
        _writeFault = writeFault;
    }

    /// <summary>How often the file was fsynced.</summary>
    public int FlushCount { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => _file.Length;

    public override long Position
    {
        get => _file.Position;
        set => _file.Position = value;
    }

    public override void Flush()
    {
        ThrowIfFaulted();
        _file.Flush(flushToDisk: true);
        FlushCount++;
    }

    public override int Read(byte[] buffer, int offset, int count) => _file.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);

    public override void SetLength(long value) => _file.SetLength(value);

    public override void Write(byte[] buffer, int offset, int count)
    {
        ThrowIfFaulted();
        _file.Write(buffer, offset, count);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ThrowIfFaulted()
    {
        if (_writeFault?.Invoke() is { } fault)
        {
            throw fault;
        }
    }
}
