using System.Net.Sockets;
using KrSbert.Server.Options;
using Microsoft.Extensions.Options;

namespace KrSbert.Server;

public static partial class KrSbertServer
{
    /// <summary>Builds, starts and serves until shutdown (SIGTERM, Ctrl+C or <paramref name="cancellationToken"/>).</summary>
    /// <returns>The exit code: 0, or 1 when opening the model or the collections failed unexpectedly.</returns>
    /// <exception cref="ServerStartException">A setting is wrong, a listen address cannot be used, or the model or data folder cannot be opened.</exception>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        WebApplication app = Build(args);
        await using (app.ConfigureAwait(false))
        {
            try
            {
                await StartAsync(app, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && app.Lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Stopped while Kestrel was binding: the model or data folder failed to open (reported below) or SIGTERM came.
            }

            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            if (app.Services.GetRequiredService<Hosting.EngineHost>().OpenFailure is { } failure)
            {
                throw failure;
            }
        }

        return Environment.ExitCode;
    }

    /// <summary>Starts the application, turning a bad setting or an address that cannot be used into <see cref="ServerStartException"/>.</summary>
    /// <exception cref="ServerStartException">A setting is wrong or a listen address cannot be used.</exception>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Describe(e, app.Services) is { } failure)
        {
            if (failure.ExitCode == ServerStartException.BadSetting)
            {
                // Settings are checked before any hosted service starts: nothing to stop.
                throw failure;
            }

            // The engine host starts before Kestrel binds, so the store may be opening: stop it so it closes cleanly.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception stop) when (stop is OperationCanceledException or ObjectDisposedException or IOException or InvalidOperationException)
            {
                // Already failing to start: the start failure is the one to report.
            }

            throw failure;
        }
    }

    /// <summary>Binds the settings, naming a value that has the wrong type (a word where a number belongs).</summary>
    private static ServerOptions BindSettings(ConfigurationManager configuration)
    {
        try
        {
            return configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new ServerStartException(ServerStartException.BadSetting, ServerStartException.OneLine(e.Message), e);
        }
    }

    private static ServerStartException? Describe(Exception e, IServiceProvider services) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0], services),
        OptionsValidationException invalid => new ServerStartException(ServerStartException.BadSetting, ServerStartException.OneLine(string.Join(" ", invalid.Failures)), e),
        IOException when FindSocketError(e) is { } socket => new ServerStartException(ServerStartException.CannotListen, CannotListen(e, socket, services.GetRequiredService<IOptions<ServerOptions>>().Value), e),
        _ => null,
    };

    /// <summary>"KrSbert:MetricsListen 127.0.0.1:9464: address already in use", the setting found by the address Kestrel names.</summary>
    private static string CannotListen(Exception e, SocketException socket, ServerOptions settings)
    {
        string reason = socket.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => "address already in use",
            SocketError.AddressNotAvailable => "address not available on this machine",
            SocketError.AccessDenied => "permission denied",
            _ => ServerStartException.OneLine(socket.Message),
        };
        foreach ((string setting, string? address) in new[] { ("KrSbert:Listen", settings.Listen), ("KrSbert:MetricsListen", settings.MetricsListen) })
        {
            if (Options.ServerOptionsValidator.TryParseEndpoint(address, out var endpoint) && Names(e.Message, endpoint.ToString()))
            {
                return $"{setting} {address}: {reason}";
            }
        }

        // Kestrel:Endpoints (TLS) replaces KrSbert:Listen; Kestrel's message names its address.
        return ServerStartException.OneLine(e.Message);
    }

    /// <summary>Whether Kestrel's message ("Failed to bind to address http://127.0.0.1:9464: ...") is about this endpoint.</summary>
    private static bool Names(string message, string endpoint)
    {
        int at = message.IndexOf("//" + endpoint, StringComparison.Ordinal);
        int after = at + 2 + endpoint.Length;
        return at >= 0 && (after == message.Length || !char.IsAsciiDigit(message[after]));
    }

    private static SocketException? FindSocketError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket;
            }
        }

        return null;
    }

}
