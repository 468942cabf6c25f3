using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace KrSbert.Cli.Bench.Cluster;

/// <summary>
/// Keeps the structured values of a server's log events (by event name), so <c>bench cluster</c> reads a replica's
/// recovery phases from what the replica itself reports rather than guessing them from outside.
/// </summary>
internal sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedEvent> _events = new();

    /// <summary>The events logged so far with <paramref name="eventName"/> (the <c>[LoggerMessage]</c> method's name).</summary>
    public IReadOnlyList<CapturedEvent> Named(string eventName) => [.. _events.Where(e => e.Name == eventName)];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name is null)
            {
                return;
            }

            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> pairs)
            {
                foreach ((string key, object? value) in pairs)
                {
                    values[key] = value;
                }
            }

            log._events.Enqueue(new CapturedEvent(eventId.Name, formatter(state, exception), values));
        }
    }
}

/// <summary>One log event: its name, its message and its named values.</summary>
internal sealed record CapturedEvent(string Name, string Message, IReadOnlyDictionary<string, object?> Values)
{
    /// <summary>A whole-number value of the event (milliseconds, rows, counts).</summary>
    public long Number(string key) => Convert.ToInt64(Values[key], System.Globalization.CultureInfo.InvariantCulture);
}
