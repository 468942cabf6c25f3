using Grpc.Core;
using KrSbert.Cli.Input;
using KrSbert.Embedding;
using KrSbert.Embedding.Models;
using KrSbert.Search.Collections;
using KrSbert.Storage;
using KrSbert.Storage.Backups;

namespace KrSbert.Cli.Commands;

/// <summary>Turns the failures a user can cause into a message on standard error and a documented exit code.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (Describe(e) is { } failure)
        {
            return Fail(failure.Code, failure.Message);
        }
    }

    /// <summary>The exit code and message for a failure a user can cause; null lets anything else surface as a bug.</summary>
    private static (int Code, string Message)? Describe(Exception e) => e switch
    {
        RpcException rpc => (rpc.StatusCode switch
        {
            StatusCode.NotFound => ExitCodes.NotFound,
            StatusCode.Unavailable or StatusCode.DeadlineExceeded => ExitCodes.ServerUnavailable,
            StatusCode.Unauthenticated => ExitCodes.Unauthenticated,
            StatusCode.Cancelled => ExitCodes.Cancelled,
            StatusCode.Internal or StatusCode.Unknown => ExitCodes.Failure,
            _ => ExitCodes.BadInput,
        }, $"server: {rpc.StatusCode}: {rpc.Status.Detail}"),
        StoreLockedException => (ExitCodes.Locked, e.Message),
        CollectionUnavailableException => (ExitCodes.Failure, e.Message),
        InvalidBackupException => (ExitCodes.VerificationFailed, e.Message),
        StoreUnreadableException => (ExitCodes.Failure, e.Message),
        CollectionMismatchException mismatch => (ExitCodes.BadInput, $"{mismatch.Field}: {mismatch.Message}"),
        ModelFolderException => (ExitCodes.BadModel, $"model: {e.Message}"),
        InputFormatException or InvalidTextException or FormatException or ArgumentOutOfRangeException
            or FileNotFoundException or DirectoryNotFoundException => (ExitCodes.BadInput, e.Message),
        OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
        _ => null,
    };

    public static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"krsbert: {message}");
        return code;
    }
}
