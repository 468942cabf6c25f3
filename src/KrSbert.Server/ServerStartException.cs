namespace KrSbert.Server;

/// <summary>
/// The server could not start for a reason the operator can fix: a bad setting or an address it cannot listen on.
/// The message is one line that names the setting; hosts print it and exit with <see cref="ExitCode"/>.
/// </summary>
public sealed class ServerStartException(int exitCode, string message, Exception? inner) : Exception(message, inner)
{
    /// <summary>Exit code: a setting is wrong (the CLI's code for bad input).</summary>
    public const int BadSetting = 2;

    /// <summary>Exit code: a listen address is already in use, not on this machine, or not permitted.</summary>
    public const int CannotListen = 9;

    /// <summary>The process exit code for this failure.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>A message made fit for the one line a failed start prints.</summary>
    internal static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
