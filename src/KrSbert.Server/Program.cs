using KrSbert.Server;

// dotnet run --project src/KrSbert.Server [-- --data ./data --model ./models/kr-sbert --listen 127.0.0.1:50051]
try
{
    return await KrSbertServer.RunAsync(args);
}
catch (ServerStartException e)
{
    // A setting to fix, not a bug: one line and a documented exit code (README, "Exit codes").
    await Console.Error.WriteLineAsync($"KrSbert.Server: {e.Message}");
    return e.ExitCode;
}
