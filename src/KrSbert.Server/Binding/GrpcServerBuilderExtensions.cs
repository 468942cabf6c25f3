using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KrSbert.Server.Binding;

/// <summary>Binds every mapped gRPC service through <see cref="ParsingServiceMethodProvider{TService}"/>.</summary>
internal static class GrpcServerBuilderExtensions
{
    /// <summary>
    /// Replaces grpc-dotnet's provider for services with a generated <c>BindService</c> (every service mapped with
    /// <c>MapGrpcService</c>), so a request body that is not valid protobuf is INVALID_ARGUMENT for all of them.
    /// </summary>
    /// <exception cref="InvalidOperationException">grpc-dotnet no longer registers the provider this replaces.</exception>
    public static IGrpcServerBuilder AnswerMalformedRequestsWithInvalidArgument(this IGrpcServerBuilder grpc)
    {
        // Both providers would add the same routes; the default one is internal, so it is found by its name.
        ServiceDescriptor binder = grpc.Services.SingleOrDefault(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType?.Name == "BinderServiceMethodProvider`1")
            ?? throw new InvalidOperationException("grpc-dotnet's BinderServiceMethodProvider is not registered; update ParsingServiceMethodProvider for this version of Grpc.AspNetCore.");
        grpc.Services.Remove(binder);
        grpc.Services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(ParsingServiceMethodProvider<>)));
        return grpc;
    }
}
