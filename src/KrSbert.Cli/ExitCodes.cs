namespace KrSbert.Cli;

/// <summary>Exit codes scripts can rely on.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Unexpected failure (a bug or an environment problem); the message says what.</summary>
    public const int Failure = 1;

    /// <summary>The command line or the input data is wrong.</summary>
    public const int BadInput = 2;

    /// <summary>The model folder is missing, incomplete or inconsistent.</summary>
    public const int BadModel = 3;

    /// <summary>A verification found differences beyond the tolerance, or a backup failed its checks (checksum, format, schema).</summary>
    public const int VerificationFailed = 4;

    /// <summary>A collection or document named on the command line does not exist.</summary>
    public const int NotFound = 5;

    /// <summary>The database is held by another process (a running server).</summary>
    public const int Locked = 6;

    /// <summary>The server cannot be reached or is not serving yet.</summary>
    public const int ServerUnavailable = 7;

    /// <summary>The server wants an API key (<c>--api-key</c> or <c>KRSBERT_API_KEY</c>) or refused the one given.</summary>
    public const int Unauthenticated = 8;

    /// <summary><c>krsbert serve</c> cannot listen on an address (in use, not on this machine, not permitted); the message names the setting.</summary>
    public const int CannotListen = KrSbert.Server.ServerStartException.CannotListen;

    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
