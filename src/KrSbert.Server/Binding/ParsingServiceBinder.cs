using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace KrSbert.Server.Binding;

/// <summary>
/// Receives the methods a generated <c>BindService</c> declares and adds them to the endpoint model with
/// <see cref="ParsingMarshaller"/> around the request marshaller; responses are left as generated.
/// </summary>
internal sealed class ParsingServiceBinder<TService>(ServiceMethodProviderContext<TService> context, Type serviceBase) : ServiceBinderBase
    where TService : class
{
    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
    {
        (var invoker, var metadata) = Handler<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
        context.AddUnaryMethod(ParsingMarshaller.Wrap(method), metadata, invoker);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
    {
        (var invoker, var metadata) = Handler<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
        context.AddClientStreamingMethod(ParsingMarshaller.Wrap(method), metadata, invoker);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
    {
        (var invoker, var metadata) = Handler<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
        context.AddServerStreamingMethod(ParsingMarshaller.Wrap(method), metadata, invoker);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
    {
        (var invoker, var metadata) = Handler<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
        context.AddDuplexStreamingMethod(ParsingMarshaller.Wrap(method), metadata, invoker);
    }

    /// <summary>
    /// An open delegate to the service's implementation of the generated virtual method, and the endpoint metadata
    /// (attributes of the service and the method, such as authorization, and POST only).
    /// </summary>
    private (TDelegate Invoker, List<object> Metadata) Handler<TDelegate>(string name, params Type[] parameters)
        where TDelegate : Delegate
    {
        // The generated base declares the virtual method; the service's override, when there is one, carries the
        // attributes. A method on the service that hides the base one by name is not a handler.
        MethodInfo declared = serviceBase.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
            ?? throw new InvalidOperationException($"{serviceBase} has no method {name} for gRPC method binding.");
        MethodInfo? implemented = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters);
        MethodInfo handler = implemented is not null && implemented.GetBaseDefinition() == declared.GetBaseDefinition() ? implemented : declared;

        var metadata = new List<object>();
        metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
        metadata.AddRange(handler.GetCustomAttributes(inherit: true));
        metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
        return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
    }
}
