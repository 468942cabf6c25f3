using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace KrSbert.Server.Binding;

/// <summary>A request marshaller whose deserializer turns a body that is not valid protobuf into INVALID_ARGUMENT.</summary>
internal static class ParsingMarshaller
{
    /// <summary>The same method with its request marshaller wrapped.</summary>
    public static Method<TRequest, TResponse> Wrap<TRequest, TResponse>(Method<TRequest, TResponse> method)
    {
        Marshaller<TRequest> inner = method.RequestMarshaller;
        string type = MessageName(typeof(TRequest));
        Marshaller<TRequest> parsing = new(inner.ContextualSerializer, context =>
        {
            try
            {
                return inner.ContextualDeserializer(context);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"request could not be parsed as {type}: {e.Message}"));
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, parsing, method.ResponseMarshaller);
    }

    /// <summary>The protobuf full name (krsbert.v1.QueryRequest) that a client sees in its .proto files.</summary>
    private static string MessageName(Type message) =>
        message.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is MessageDescriptor descriptor
            ? descriptor.FullName
            : message.FullName ?? message.Name;
}
