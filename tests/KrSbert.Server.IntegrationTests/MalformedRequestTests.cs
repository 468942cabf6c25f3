using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using KrSbert.Protos.V1;
using SearchApi = KrSbert.Protos.V1.Search;

namespace KrSbert.Server.IntegrationTests;

/// <summary>Request bodies that are not valid protobuf, sent as raw HTTP/2 the way a broken or hostile client would.</summary>
public class MalformedRequestTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>A gRPC frame (not compressed, 3 bytes) whose payload is a truncated varint tag.</summary>
    private static readonly byte[] Garbage = [0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF];

    [Fact]
    public async Task A_body_that_is_not_protobuf_is_invalid_argument_naming_the_message_type_for_every_kind_of_call()
    {
        await using var server = await TestServer.StartAsync().WaitAsync(Timeout);
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        (string Path, string MessageType)[] calls =
        [
            ("/krsbert.v1.Search/Query", "krsbert.v1.QueryRequest"),
            ("/krsbert.v1.Search/QueryBatch", "krsbert.v1.QueryBatchRequest"),
            ("/krsbert.v1.Collections/Create", "krsbert.v1.CreateCollectionRequest"),
            ("/krsbert.v1.Documents/Upsert", "krsbert.v1.UpsertRequest"),
            ("/krsbert.v1.Embeddings/Embed", "krsbert.v1.EmbedRequest"),
            ("/krsbert.v1.Documents/Ingest", "krsbert.v1.IngestRequest"),            // client streaming
            ("/grpc.health.v1.Health/Watch", "grpc.health.v1.HealthCheckRequest"),    // server streaming
        ];

        var answers = new List<(string Path, StatusCode Status, string Message)>();
        foreach ((string path, _) in calls)
        {
            (StatusCode status, string message) = await SendAsync(server, path, Garbage);
            answers.Add((path, status, message));
        }

        Assert.All(calls.Zip(answers), pair =>
        {
            Assert.Equal((pair.First.Path, StatusCode.InvalidArgument), (pair.Second.Path, pair.Second.Status));
            Assert.StartsWith($"request could not be parsed as {pair.First.MessageType}: ", pair.Second.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_client_stream_that_turns_to_garbage_after_a_good_message_is_invalid_argument()
    {
        await using var server = await TestServer.StartAsync().WaitAsync(Timeout);
        await new Collections.CollectionsClient(server.Channel).CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        byte[] good = Frame(new IngestRequest { Collection = "docs", Document = new Document { Id = "a", Text = "A man plays a flute." } }.ToByteArray());

        (StatusCode status, string message) = await SendAsync(server, "/krsbert.v1.Documents/Ingest", [.. good, .. Garbage]);

        Assert.Equal(StatusCode.InvalidArgument, status);
        Assert.Contains("krsbert.v1.IngestRequest", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Well_formed_calls_still_reach_the_services_after_a_malformed_one()
    {
        await using var server = await TestServer.StartAsync().WaitAsync(Timeout);
        var collections = new Collections.CollectionsClient(server.Channel);
        await collections.CreateAsync(new CreateCollectionRequest { Name = "docs" }).ResponseAsync.WaitAsync(Timeout);
        await new Documents.DocumentsClient(server.Channel).UpsertAsync(new UpsertRequest { Collection = "docs", Documents = { new Document { Id = "a", Text = "A man plays a flute." } } }).ResponseAsync.WaitAsync(Timeout);
        await SendAsync(server, "/krsbert.v1.Search/Query", Garbage);

        var response = await new SearchApi.SearchClient(server.Channel).QueryAsync(new QueryRequest { Collection = "docs", Text = "flute" }).ResponseAsync.WaitAsync(Timeout);
        (StatusCode status, _) = await SendAsync(server, "/krsbert.v1.Search/Query", Frame(new QueryRequest { Collection = "docs", Text = "flute" }.ToByteArray()));

        Assert.Equal("a", Assert.Single(response.Hits).Id);
        Assert.Equal(StatusCode.OK, status);
    }

    private static byte[] Frame(byte[] message) =>
        [0, (byte)(message.Length >> 24), (byte)(message.Length >> 16), (byte)(message.Length >> 8), (byte)message.Length, .. message];

    /// <summary>Posts one HTTP/2 (h2c) gRPC request and returns grpc-status and grpc-message from trailers (or headers, for a trailers-only answer).</summary>
    private static async Task<(StatusCode Status, string Message)> SendAsync(TestServer server, string path, byte[] body)
    {
        using var client = new HttpClient { Timeout = Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{server.Port}{path}") {
            // h2c with prior knowledge: the gRPC endpoint speaks only HTTP/2.
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await client.SendAsync(request).WaitAsync(Timeout);
        await response.Content.ReadAsByteArrayAsync().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string status = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status") ?? throw new InvalidOperationException("no grpc-status");
        string message = Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message") ?? "";
        return ((StatusCode)int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), Uri.UnescapeDataString(message));
    }

    private static string? Header(HttpHeaders headers, string name) => headers.TryGetValues(name, out var values) ? values.First() : null;
}
