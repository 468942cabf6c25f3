using System.CommandLine;
using KrSbert.Server;

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
        var precision = new Option<string?>("--model-precision") { Description = "fp32 (model.onnx, default) or int8 (model.int8.onnx from the model folder)" };
        var modelCache = new Option<string?>("--model-cache") { Description = "Folder for optimised model graphs (default: model-cache under the data folder; 'off': none)" };
        // Any other setting passes through as the server takes it: --KrSbert:Limits:MaxTopK=100.
        var command = new Command("serve", "Run the server (other settings: --KrSbert:Key=value)") { data, model, listen, apiKey, metrics, precision, modelCache };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var args = new List<string>();
            foreach ((Option<string?> option, string flag) in new[] { (data, "--data"), (model, "--model"), (listen, "--listen"), (apiKey, "--api-key"), (metrics, "--metrics"), (precision, "--model-precision"), (modelCache, "--model-cache") })
            {
                if (result.GetValue(option) is { } value)
                {
                    args.Add(flag);
                    args.Add(value);
                }
            }

            if (UnknownArgument(result.UnmatchedTokens) is { } unknown)
            {
                return CommandRunner.Fail(ExitCodes.BadInput, $"serve: unknown argument '{unknown}'; settings take the form --KrSbert:Key=value");
            }

            args.AddRange(result.UnmatchedTokens);
            try
            {
                // Ctrl+C or SIGTERM stops the host gracefully: in-flight calls finish, snapshots are saved.
                return await KrSbertServer.RunAsync([.. args], cancellationToken);
            }
            catch (ServerStartException e)
            {
                return CommandRunner.Fail(e.ExitCode, e.Message);
            }
        });
        return command;
    }

    /// <summary>
    /// The first token that is neither a configuration key (<c>--KrSbert:Limits:MaxTopK=100</c>, or the key and its
    /// value as two tokens) nor such a value: a mistyped option is an error, not a setting silently ignored.
    /// </summary>
    private static string? UnknownArgument(IReadOnlyList<string> tokens)
    {
        bool valueExpected = false;
        foreach (string token in tokens)
        {
            bool key = token.StartsWith("--", StringComparison.Ordinal) && token.Contains(':', StringComparison.Ordinal);
            if (!key && !valueExpected)
            {
                return token;
            }

            valueExpected = key && !token.Contains('=', StringComparison.Ordinal);
        }

        return null;
    }
}
