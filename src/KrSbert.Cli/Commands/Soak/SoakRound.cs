using System.Diagnostics;
using System.Globalization;

namespace KrSbert.Cli.Commands.Soak;

/// <summary>Runs the soak worker on a data folder and kills it (SIGKILL) a given time after it is ready.</summary>
internal sealed class SoakRound
{
    public HashSet<long> Acknowledged { get; } = [];

    public HashSet<long> Deleted { get; } = [];

    /// <summary>Deletes that started but were not acknowledged: their documents may or may not be gone.</summary>
    public HashSet<long> Deleting { get; } = [];

    /// <summary>Runs one round; returns the highest id acknowledged and how many acknowledgements came.</summary>
    public async Task<(long MaxId, int Acks)> RunAsync(string krsbertDll, string data, long firstId, int seed, TimeSpan killAfter)
    {
        // Standard input stays open and unused: the worker stops when it closes, so a worker outlives no parent, even one killed outright.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { krsbertDll, "bench", "soak-worker", data, firstId.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            var ready = new TaskCompletionSource();
            long maxId = firstId;
            int acks = 0;
            Task reader = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    if (line == "ready")
                    {
                        ready.TrySetResult();
                    }
                    else if (line.StartsWith("ack ", StringComparison.Ordinal))
                    {
                        long id = long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
                        Acknowledged.Add(id);
                        maxId = Math.Max(maxId, id);
                        acks++;
                    }
                    else if (line.StartsWith("deleting ", StringComparison.Ordinal))
                    {
                        Deleting.Add(long.Parse(line.AsSpan(9), CultureInfo.InvariantCulture));
                    }
                    else if (line.StartsWith("del ", StringComparison.Ordinal))
                    {
                        long id = long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
                        Deleting.Remove(id);
                        Deleted.Add(id);
                    }
                }
            });
            Task<string> errors = process.StandardError.ReadToEndAsync();
            Task first = await Task.WhenAny(ready.Task, process.WaitForExitAsync(CancellationToken.None), Task.Delay(TimeSpan.FromSeconds(60)));
            if (first != ready.Task)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"the soak worker did not start: {await errors}");
            }

            await Task.Delay(killAfter);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            await reader.WaitAsync(TimeSpan.FromSeconds(60));
            return (maxId, acks);
        }
        finally
        {
            // An exception or a timeout above must not leave the worker ingesting on its own.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
