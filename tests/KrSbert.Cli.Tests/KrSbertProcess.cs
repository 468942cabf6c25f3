using System.Diagnostics;

namespace KrSbert.Cli.Tests;

/// <summary>Runs the real <c>krsbert</c> program (or another program of the build) in a child process, as a script would.</summary>
public static class KrSbertProcess
{
    /// <summary>How long a run may take before the process (and any it started) is killed and the test fails.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    public sealed record Result(int ExitCode, string Output, string Error);

    public static Task<Result> RunAsync(string? input, params string[] arguments) => RunProgramAsync("krsbert.dll", input, DefaultTimeout, arguments);

    /// <summary>Runs <paramref name="program"/> (a dll next to the tests) with dotnet; the process tree is killed if it outlives <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">The process ran past the timeout (it has been killed).</exception>
    public static async Task<Result> RunProgramAsync(string program, string? input, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input);
            }

            process.StandardInput.Close();
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException e)
            {
                throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran past {timeout}; killed.", e);
            }

            return new Result(process.ExitCode, await output, await error);
        }
        finally
        {
            // A test that fails or times out must not leave a server or worker running behind it.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
