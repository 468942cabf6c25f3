using Grpc.Core;
using KrSbert.Cli.Input;
using KrSbert.Embedding;
using KrSbert.Embedding.Models;
using KrSbert.Search.Collections;
using KrSbert.Storage;

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
        catch (RpcException e)
        {
            int code = e.StatusCode switch
            {
                StatusCode.NotFound => ExitCodes.NotFound,
                StatusCode.Unavailable or StatusCode.DeadlineExceeded => ExitCodes.ServerUnavailable,
                StatusCode.Unauthenticated => ExitCodes.Unauthenticated,
                StatusCode.Cancelled => ExitCodes.Cancelled,
                StatusCode.Internal or StatusCode.Unknown => ExitCodes.Failure,
                _ => ExitCodes.BadInput,
            };
            return Fail(code, $"server: {e.StatusCode}: {e.Status.Detail}");
        }
        catch (StoreLockedException e)
        {
            return Fail(ExitCodes.Locked, e.Message);
        }
        catch (CollectionMismatchException e)
        {
            return Fail(ExitCodes.BadInput, $"{e.Field}: {e.Message}");
        }
        catch (ModelFolderException e)
        {
            return Fail(ExitCodes.BadModel, $"model: {e.Message}");
        }
        catch (InputFormatException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (InvalidTextException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (FormatException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (ArgumentOutOfRangeException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (FileNotFoundException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (DirectoryNotFoundException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (OperationCanceledException)
        {
            return Fail(ExitCodes.Cancelled, "cancelled");
        }
    }

    public static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"krsbert: {message}");
        return code;
    }
}
