using Grpc.HealthCheck;
using KrSbert.Server.Binding;
using KrSbert.Server.Hosting;
using KrSbert.Server.Interceptors;
using KrSbert.Server.Metrics;
using KrSbert.Server.Options;
using KrSbert.Server.Services;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace KrSbert.Server;

/// <summary>Builds the gRPC server: configuration, options checked at start, Kestrel endpoints, services.</summary>
public static partial class KrSbertServer
{
    /// <summary>Short flags for the usual settings: <c>--data</c>, <c>--model</c>, <c>--listen</c>, <c>--api-key</c>, <c>--metrics</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> Flags = new Dictionary<string, string>
    {
        ["--data"] = "KrSbert:DataDirectory",
        ["--model"] = "KrSbert:ModelDirectory",
        ["--listen"] = "KrSbert:Listen",
        ["--api-key"] = "KrSbert:ApiKey",
        ["--metrics"] = "KrSbert:MetricsListen",
        ["--model-precision"] = "KrSbert:ModelPrecision",
        ["--model-cache"] = "KrSbert:ModelCache",
    };

    /// <summary>Creates the application; <paramref name="configure"/> can add configuration (tests set ports and folders).</summary>
    public static WebApplication Build(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, Flags.ToDictionary(f => f.Key, f => f.Value));
        configure?.Invoke(builder.Configuration);

        builder.Services.AddOptions<ServerOptions>().Bind(builder.Configuration.GetSection(ServerOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        ServerOptions settings = BindSettings(builder.Configuration);
        ConfigureKestrel(builder, settings);

        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton<AccessInterceptor>();
        builder.Services.AddSingleton<HealthServiceImpl>();
        builder.Services.AddOptions<ClusterOptions>().Bind(builder.Configuration.GetSection(ClusterOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>();
        builder.Services.AddSingleton<EngineHost>();
        builder.Services.AddSingleton<Cluster.ClusterNode>();
        builder.Services.AddSingleton<Cluster.ShardReplicaDirectory>();
        builder.Services.AddSingleton<Cluster.ClusterRouter>();
        // Before the engine host: a new shard replica restores its snapshot before the store opens.
        builder.Services.AddHostedService(services => services.GetRequiredService<Cluster.ClusterNode>());
        builder.Services.AddHostedService(services => services.GetRequiredService<EngineHost>());
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = settings.Limits.MaxMessageBytes;
            grpc.EnableDetailedErrors = false;
            grpc.Interceptors.Add<AccessInterceptor>();
            grpc.Interceptors.Add<ErrorInterceptor>();
        }).AnswerMalformedRequestsWithInvalidArgument();
        builder.Services.AddGrpcReflection();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        // A failed start is raised to the caller, which reports it once in a line (see StartAsync), not as a stack trace here.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        WebApplication app = builder.Build();
        app.MapGrpcService<CollectionsService>();
        app.MapGrpcService<DocumentsService>();
        app.MapGrpcService<SearchService>();
        app.MapGrpcService<EmbeddingsService>();
        app.MapGrpcService<BackupService>();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService();
        if (ServerOptionsValidator.TryParseEndpoint(settings.MetricsListen, out var metricsEndpoint))
        {
            app.MapGet("/metrics", (ServerMetrics metrics, EngineHost host) => Results.Text(RenderMetrics(metrics, host), "text/plain; version=0.0.4"))
                .RequireHost($"*:{metricsEndpoint.Port}");
        }

        WarnIfOpen(app, settings);
        return app;
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder, ServerOptions settings)
    {
        // Kestrel:Endpoints in configuration (TLS certificates and all) replaces the plain listener.
        bool endpointsConfigured = builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (!endpointsConfigured && ServerOptionsValidator.TryParseEndpoint(settings.Listen, out var grpc))
            {
                kestrel.Listen(grpc, listen => listen.Protocols = HttpProtocols.Http2);
            }

            if (ServerOptionsValidator.TryParseEndpoint(settings.MetricsListen, out var metrics))
            {
                kestrel.Listen(metrics, listen => listen.Protocols = HttpProtocols.Http1);
            }

            kestrel.Limits.MaxRequestBodySize = null;
        });
    }

    private static string RenderMetrics(ServerMetrics metrics, EngineHost host)
    {
        var collections = host.Ready.IsCompletedSuccessfully
            ? TryList(host).Select(c => (c.Name, c.Record.DocumentCount, (long)c.IndexedVectors, c.SnapshotAt is { } at ? (double?)(DateTime.UtcNow - at).TotalSeconds : null))
            : [];
        return metrics.Render(collections);
    }

    private static IReadOnlyList<Search.Collections.CollectionInfo> TryList(EngineHost host)
    {
        try
        {
            return host.Engine.ListCollections();
        }
        catch (Grpc.Core.RpcException)
        {
            return [];
        }
    }

    private static void WarnIfOpen(WebApplication app, ServerOptions settings)
    {
        if (string.IsNullOrEmpty(settings.ApiKey) && ServerOptionsValidator.TryParseEndpoint(settings.Listen, out var endpoint) && !System.Net.IPAddress.IsLoopback(endpoint.Address))
        {
            Log.OpenWithoutKey(app.Logger, settings.Listen);
        }
    }
}
