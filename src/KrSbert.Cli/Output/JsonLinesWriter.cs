using System.Text.Json;

namespace KrSbert.Cli.Output;

/// <summary>Writes one compact JSON object a line to a stream (standard output by default).</summary>
internal sealed class JsonLinesWriter : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly Utf8JsonWriter _writer;

    public JsonLinesWriter(Stream stream)
    {
        _stream = new BufferedStream(stream, 1 << 16);
        _writer = new Utf8JsonWriter(_stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    public Utf8JsonWriter Writer => _writer;

    /// <summary>Ends the current object's line; output reaches the stream in 64 KiB blocks and at the end.</summary>
    public void EndLine()
    {
        _writer.Flush();
        _stream.WriteByte((byte)'\n');
        _writer.Reset();
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _stream.FlushAsync().ConfigureAwait(false);
    }
}
