using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace KrSbert.Server.Binding;

/// <summary>
/// Discovers a service's methods from its generated <c>BindService</c>, as grpc-dotnet's own provider does, but
/// binds each with a request marshaller that reports a body that is not valid protobuf as INVALID_ARGUMENT.
/// grpc-dotnet reads a unary or server-streaming request before any interceptor runs, so without this a
/// malformed body reaches the client as UNKNOWN "Exception was thrown by handler.".
/// </summary>
internal sealed class ParsingServiceMethodProvider<TService>
    : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        if (FindBindMethod() is not (MethodInfo bind, Type serviceBase))
        {
            return;
        }

        // The generated BindService is called without an instance: services are created per call, so each
        // method becomes an open delegate over the service type.
        bind.Invoke(null, [new ParsingServiceBinder<TService>(context, serviceBase), null]);
    }

    /// <summary>The static <c>BindService(ServiceBinderBase, XxxBase)</c> named by the generated base class's attribute.</summary>
    private static (MethodInfo Bind, Type ServiceBase)? FindBindMethod()
    {
        for (Type? type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } attribute)
            {
                MethodInfo? bind = attribute.BindType.GetMethod(attribute.BindMethodName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(ServiceBinderBase), type]);
                return bind is null ? null : (bind, type);
            }
        }

        return null;
    }
}
