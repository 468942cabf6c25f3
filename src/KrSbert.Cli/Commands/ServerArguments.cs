using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;

namespace KrSbert.Cli.Commands;

/// <summary>How the client commands reach a server: address and API key.</summary>
internal sealed class ServerArguments
{
    public const string DefaultAddress = "http://127.0.0.1:50051";

    public Option<string> Server { get; } = new("--server", "-s")
    {
        Description = "Server address",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("KRSBERT_SERVER") ?? DefaultAddress,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "API key sent as metadata x-api-key (default: environment KRSBERT_API_KEY)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("KRSBERT_API_KEY"),
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(ApiKey);
    }

    /// <summary>Whether <c>--server</c> was given on the command line (commands that also run locally use this).</summary>
    public bool IsGiven(ParseResult result) => result.GetResult(Server) is { Implicit: false };

    public GrpcChannel Channel(ParseResult result)
    {
        string address = result.GetValue(Server)!;
        if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new FormatException($"--server '{address}' is not an http:// or https:// address (e.g. {DefaultAddress}).");
        }

        string? key = result.GetValue(ApiKey);
        var options = new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 64 * 1024 * 1024 };
        if (!string.IsNullOrEmpty(key))
        {
            var credentials = CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("x-api-key", key);
                return Task.CompletedTask;
            });
            options.Credentials = ChannelCredentials.Create(uri.Scheme == "https" ? new SslCredentials() : ChannelCredentials.Insecure, credentials);
            options.UnsafeUseInsecureChannelCallCredentials = uri.Scheme == "http";
        }

        return GrpcChannel.ForAddress(uri, options);
    }
}
