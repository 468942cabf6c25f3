using System.Diagnostics;
using System.Globalization;

namespace KrSbert.Cli.Output;

/// <summary>
/// A progress line on standard error: done of total, items/s and ETA. Redrawn in place on a terminal,
/// printed every few seconds when standard error is a file or pipe.
/// </summary>
internal sealed class ProgressBar(string label, long total, string unit) : IProgress<long>
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _lastDrawn;
    private long _done;

    public void Report(long value)
    {
        _done = value;
        long now = Stopwatch.GetTimestamp();
        TimeSpan sinceDrawn = Stopwatch.GetElapsedTime(_lastDrawn, now);
        if (_lastDrawn != 0 && sinceDrawn < (Console.IsErrorRedirected ? TimeSpan.FromSeconds(5) : TimeSpan.FromMilliseconds(200)) && value < total)
        {
            return;
        }

        _lastDrawn = now;
        Draw(final: false);
    }

    public void Finish()
    {
        Draw(final: true);
        Console.Error.WriteLine();
    }

    private void Draw(bool final)
    {
        double seconds = Math.Max(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1e-3);
        double rate = _done / seconds;
        string eta = final || rate <= 0 || total <= _done ? "done" : TimeSpan.FromSeconds((total - _done) / rate).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
        int width = 30;
        int filled = total <= 0 ? width : (int)Math.Min(width, width * _done / total);
        string line = string.Create(CultureInfo.InvariantCulture, $"{label} [{new string('#', filled)}{new string('.', width - filled)}] {_done}/{total} {unit}  {rate:F0} {unit}/s  ETA {eta}");
        Console.Error.Write(Console.IsErrorRedirected ? line + Environment.NewLine : "\r" + line);
    }
}
