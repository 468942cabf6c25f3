using KrSbert.Embedding.Models;
using KrSbert.Storage;

namespace KrSbert.Server.Hosting;

/// <summary>
/// Which failures to open the model or the data folder are the operator's to fix, as one line naming the setting
/// and an exit code the CLI shares (3 model folder, 6 data folder held by another process, 2 data folder unusable).
/// Anything else is unexpected and keeps its stack trace in the log.
/// </summary>
internal static class OpeningFailure
{
    /// <summary>Exit code: the model folder is missing, incomplete or inconsistent.</summary>
    public const int BadModel = 3;

    /// <summary>Exit code: another process (a running server) holds the database.</summary>
    public const int DataInUse = 6;

    /// <summary>The failure to report, or null when <paramref name="e"/> is unexpected.</summary>
    /// <param name="e">What opening threw.</param>
    /// <param name="loadingModel">Whether the model was being loaded (else the data folder was being opened).</param>
    /// <param name="model">The model folder, or null for the embedded model.</param>
    /// <param name="data">The data folder.</param>
    public static ServerStartException? Describe(Exception e, bool loadingModel, string? model, string data) => (e, loadingModel) switch
    {
        (ModelFolderException or IOException or UnauthorizedAccessException, true) =>
            new ServerStartException(BadModel, $"KrSbert:ModelDirectory {model ?? "(embedded)"}: {ServerStartException.OneLine(e.Message)}", e),
        (StoreLockedException, false) => new ServerStartException(DataInUse, $"KrSbert:DataDirectory {data}: {ServerStartException.OneLine(e.Message)}", e),
        (IOException or UnauthorizedAccessException, false) => new ServerStartException(ServerStartException.BadSetting, $"KrSbert:DataDirectory {data}: {ServerStartException.OneLine(e.Message)}", e),
        _ => null,
    };
}
