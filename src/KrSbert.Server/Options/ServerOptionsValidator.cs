using System.Net;
using KrSbert.Storage;
using Microsoft.Extensions.Options;

namespace KrSbert.Server.Options;

/// <summary>Checks the settings at start-up with messages that say what to fix.</summary>
internal sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("KrSbert:DataDirectory is empty; set it to a folder for the database (e.g. ./data).");
        }

        if (options.ModelDirectory is { Length: > 0 } model && !Directory.Exists(model))
        {
            errors.Add($"KrSbert:ModelDirectory '{model}' does not exist; point it at a model folder (see deploy/export_model.py) or leave it unset for the embedded model.");
        }

        if (!TryParseEndpoint(options.Listen, out _))
        {
            errors.Add($"KrSbert:Listen '{options.Listen}' is not host:port (e.g. 127.0.0.1:50051 or 0.0.0.0:50051).");
        }

        if (options.MetricsListen is { Length: > 0 } metrics && !TryParseEndpoint(metrics, out _))
        {
            errors.Add($"KrSbert:MetricsListen '{metrics}' is not host:port (e.g. 127.0.0.1:9464); leave it empty to turn metrics off.");
        }
        else if (TryParseEndpoint(options.Listen, out var grpc) && TryParseEndpoint(options.MetricsListen, out var metricsEndpoint) && Overlap(grpc, metricsEndpoint))
        {
            errors.Add($"KrSbert:MetricsListen '{options.MetricsListen}' is the port of KrSbert:Listen '{options.Listen}'; give metrics a port of its own.");
        }

        if (!Embedding.Models.ModelPrecisions.TryParse(options.ModelPrecision, out _))
        {
            errors.Add($"KrSbert:ModelPrecision '{options.ModelPrecision}' is not 'fp32' (model.onnx) or 'int8' (model.int8.onnx).");
        }

        if (!TryParseDurability(options.Durability, out _))
        {
            errors.Add($"KrSbert:Durability '{options.Durability}' is not 'fsync' (acknowledge after the commit is on disk) or 'os' (acknowledge once the OS has it).");
        }

        LimitOptions limits = options.Limits;
        Positive(errors, "Limits:MaxMessageBytes", limits.MaxMessageBytes);
        Positive(errors, "Limits:MaxDocumentsPerRequest", limits.MaxDocumentsPerRequest);
        Positive(errors, "Limits:MaxTextLength", limits.MaxTextLength);
        Positive(errors, "Limits:MaxConcurrentRequests", limits.MaxConcurrentRequests);
        Positive(errors, "Limits:MaxBatchItems", limits.MaxBatchItems);
        Positive(errors, "Limits:MaxMetadataKeys", limits.MaxMetadataKeys);
        Positive(errors, "Limits:MaxMetadataKeyLength", limits.MaxMetadataKeyLength);
        Positive(errors, "Limits:MaxMetadataValueLength", limits.MaxMetadataValueLength);
        Positive(errors, "Limits:MaxMetadataBytes", limits.MaxMetadataBytes);
        if (limits.MaxTopK is < 1 or > 10_000)
        {
            errors.Add($"KrSbert:Limits:MaxTopK is {limits.MaxTopK}; it must be between 1 and 10000.");
        }

        Positive(errors, "SnapshotEveryChanges", options.SnapshotEveryChanges);
        Positive(errors, "EmbeddingBatchSize", options.EmbeddingBatchSize);
        if (options.EmbeddingBatchWaitMilliseconds is < 0 or > 1000)
        {
            errors.Add($"KrSbert:EmbeddingBatchWaitMilliseconds is {options.EmbeddingBatchWaitMilliseconds}; it must be between 0 and 1000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Parses <c>fsync</c> or <c>os</c> (any case).</summary>
    public static bool TryParseDurability(string? text, out StoreDurability durability)
    {
        (bool valid, durability) = text?.Trim().ToUpperInvariant() switch
        {
            "FSYNC" => (true, StoreDurability.Fsync),
            "OS" => (true, StoreDurability.Os),
            _ => (false, StoreDurability.Fsync),
        };
        return valid;
    }

    /// <summary>Parses host:port where host is an IP address, <c>localhost</c> or <c>*</c>.</summary>
    public static bool TryParseEndpoint(string? text, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            return false;
        }

        string host = text[..colon].Trim('[', ']');
        IPAddress? address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out IPAddress? parsed) ? parsed : null,
        };
        if (address is null)
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>Two endpoints on one port that the same socket address would serve (one of them on every interface, or one address).</summary>
    private static bool Overlap(IPEndPoint a, IPEndPoint b) =>
        a.Port == b.Port && a.Port != 0 && (a.Address.Equals(b.Address) || IsAnyAddress(a.Address) || IsAnyAddress(b.Address));

    private static bool IsAnyAddress(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static void Positive(List<string> errors, string name, int value)
    {
        if (value < 1)
        {
            errors.Add($"KrSbert:{name} is {value}; it must be at least 1.");
        }
    }
}
