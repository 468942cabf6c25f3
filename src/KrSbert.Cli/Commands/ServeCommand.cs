using System.CommandLine;
using KrSbert.Server;
using Microsoft.Extensions.Hosting;

namespace KrSbert.Cli.Commands;

/// <summary><c>krsbert serve</c>: runs the gRPC server in this process, with the server's options.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data folder (default ./data)" };
        var model = new Option<string?>("--model") { Description = "Model folder (default ./models/kr-sbert when present, else the embedded English model)" };
        var listen = new Option<string?>("--listen") { Description = "gRPC address host:port (default 127.0.0.1:50051)" };
        var apiKey = new Option<string?>("--api-key") { Description = "Require this key in metadata x-api-key" };
        var metrics = new Option<string?>("--metrics") { Description = "Prometheus address host:port (default 127.0.0.1:9464; empty: off)" };
        var command = new Command("serve", "Run the server") { data, model, listen, apiKey, metrics };
        command.SetAction(async (result, cancellationToken) =>
        {
            var args = new List<string>();
            foreach ((Option<string?> option, string flag) in new[] { (data, "--data"), (model, "--model"), (listen, "--listen"), (apiKey, "--api-key"), (metrics, "--metrics") })
            {
                if (result.GetValue(option) is { } value)
                {
                    args.Add(flag);
                    args.Add(value);
                }
            }

            try
            {
                await using var app = KrSbertServer.Build([.. args]);
                await app.StartAsync(cancellationToken);
                // Ctrl+C or SIGTERM stops the host gracefully: in-flight calls finish, snapshots are saved.
                await app.WaitForShutdownAsync(cancellationToken);
                return Environment.ExitCode;
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException e)
            {
                return CommandRunner.Fail(ExitCodes.BadInput, e.Message);
            }
        });
        return command;
    }
}
