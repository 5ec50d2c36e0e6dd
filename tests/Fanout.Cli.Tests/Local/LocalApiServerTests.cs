using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Topology;
using Fanout.Harness.Http;

namespace Fanout.Cli.Tests.Local;

/// <summary>The local API server hands bodies to the function the way API Gateway's HTTP API does: as text only for
/// text/*, application/json, application/javascript and application/xml; base64-encoded otherwise. It matches the
/// topology's routes and runs the JWT authorizer before the function, answering refusals itself.</summary>
[Trait("Category", "Unit")]
public sealed class LocalApiServerTests
{
    [Theory]
    [InlineData("application/json", true)]
    [InlineData("Application/JSON; charset=utf-8", true)]
    [InlineData("text/plain", true)]
    [InlineData("text/csv;charset=utf-8", true)]
    [InlineData("application/javascript", true)]
    [InlineData("application/xml", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData("application/x-www-form-urlencoded", false)]
    [InlineData("application/vnd.fanout.order+json", false)]
    [InlineData("application/problem+xml", false)]
    [InlineData("application/octet-stream", false)]
    [InlineData("multipart/form-data; boundary=x", false)]
    [InlineData("image/png", false)]
    public void IsTextual_ContentType_FollowsApiGatewayHttpApi(string? contentType, bool expected)
    {
        Assert.Equal(expected, LocalApiServer.IsTextual(contentType));
    }

    [Theory]
    [InlineData("application/json", false)]
    [InlineData("application/vnd.fanout.order+json", true)]
    [InlineData("application/x-www-form-urlencoded", true)]
    public async Task PostOrders_OverHttp_DeliversTheBodyAsTextOrBase64(string contentType, bool base64)
    {
        var capture = new CapturingHandler();
        await using var server = await LocalApiServer.StartAsync(capture, FreePort(), TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = server.Url };
        const string body = "{\"customer\":{\"id\":\"c-1\"}}";
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        using var response = await client.PostAsync(new Uri("/orders", UriKind.Relative), content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var received = Assert.Single(capture.Requests);
        Assert.Equal(base64, received.IsBase64Encoded);
        Assert.Equal(base64 ? Convert.ToBase64String(Encoding.UTF8.GetBytes(body)) : body, received.Body);
    }

    [Fact]
    public async Task PostOrders_BinaryBodyWithoutContentType_ArrivesBase64EncodedByteForByte()
    {
        var capture = new CapturingHandler();
        await using var server = await LocalApiServer.StartAsync(capture, FreePort(), TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = server.Url };
        byte[] raw = [0x7B, 0xFF, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0x7D];
        using var content = new ByteArrayContent(raw);

        using var response = await client.PostAsync(new Uri("/orders", UriKind.Relative), content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var received = Assert.Single(capture.Requests);
        Assert.True(received.IsBase64Encoded);
        Assert.Equal(raw, Convert.FromBase64String(received.Body!));
    }

    [Fact]
    public async Task PostOrders_HeaderSentOnTwoLines_ArrivesCommaJoinedLikeApiGateway()
    {
        var capture = new CapturingHandler();
        var port = FreePort();
        await using var server = await LocalApiServer.StartAsync(capture, port, TestContext.Current.CancellationToken);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        await using var stream = tcp.GetStream();
        var request = "POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Correlation-Id: corr-a\r\n"
            + "X-Correlation-Id: corr-b\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync(TestContext.Current.CancellationToken);

        Assert.Equal("HTTP/1.1 202 Accepted", statusLine);
        Assert.Equal("corr-a,corr-b", Assert.Single(capture.Requests).GetHeader("x-correlation-id"));
    }

    [Fact]
    public async Task GetOrder_PercentEncodedId_IsDecodedOnceLikeApiGateway()
    {
        var capture = new CapturingHandler();
        var port = FreePort();
        await using var server = await LocalApiServer.StartAsync(capture, port, TestContext.Current.CancellationToken);

        var statusLine = await SendRawAsync(port, "GET /orders/%2541%0A HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8.ToArray());

        Assert.Equal("HTTP/1.1 202 Accepted", statusLine);
        Assert.Equal("%41\n", Assert.Single(capture.Requests).PathParameters!["id"]);
    }

    [Fact]
    public async Task PostOrders_HeaderBytesThatAreNotUtf8_ReachTheFunctionWithReplacementCharacters()
    {
        var capture = new CapturingHandler();
        var port = FreePort();
        await using var server = await LocalApiServer.StartAsync(capture, port, TestContext.Current.CancellationToken);
        byte[] request = [.. "POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Correlation-Id: h"u8, 0xE9,
            .. "llo\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"u8];

        var statusLine = await SendRawAsync(port, request);

        Assert.Equal("HTTP/1.1 202 Accepted", statusLine);
        Assert.Equal("h\uFFFDllo", Assert.Single(capture.Requests).GetHeader("x-correlation-id"));
    }

    [Theory]
    [InlineData("POST", "/orders", "POST /orders", null)]
    [InlineData("GET", "/orders/o-1", "GET /orders/{id}", "o-1")]
    [InlineData("GET", "/orders/%41", "GET /orders/{id}", "%41")]
    [InlineData("GET", "/orders/", null, null)]
    [InlineData("GET", "/orders", null, null)]
    [InlineData("GET", "/orders/a/b", null, null)]
    [InlineData("POST", "/orders/o-1", null, null)]
    [InlineData("post", "/orders", null, null)]
    [InlineData("PUT", "/orders", null, null)]
    [InlineData("POST", "/Orders", null, null)]
    [InlineData("POST", "/orders/", null, null)]
    public void MatchRoute_TopologyRoutes_MatchesLikeHttpApiRouteKeys(string method, string path, string? routeKey, string? id)
    {
        var match = LocalApiServer.MatchRoute(OrderApiTopology.Routes, method, path);

        Assert.Equal(routeKey, match?.Route.RouteKey);
        Assert.Equal(id, match?.PathParameters?["id"]);
        if (routeKey == "POST /orders")
        {
            Assert.Null(match!.Value.PathParameters);
        }
    }

    [Fact]
    public async Task Request_WithoutToken_Is401FromTheAuthorizerAndNeverReachesTheFunction()
    {
        using var tokens = new TestTokens();
        var capture = new CapturingHandler();
        await using var server = await LocalApiServer.StartAsync(capture, new LocalApiOptions { Authorizer = tokens.Authorizer(TimeProvider.System) }, TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = server.Url };

        using var response = await client.GetAsync(new Uri("/orders/o-1", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("{\"message\":\"Unauthorized\"}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.Empty(capture.Requests);
    }

    [Fact]
    public async Task Request_WithWrongAudience_Is401WithTheAudienceDescription()
    {
        using var tokens = new TestTokens();
        var capture = new CapturingHandler();
        await using var server = await LocalApiServer.StartAsync(capture, new LocalApiOptions { Authorizer = tokens.Authorizer(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestTokens.Now)) }, TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = server.Url };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/o-1", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + tokens.Mint(c => c["client_id"] = "other"));

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(
            "Bearer scope=\"\" error=\"invalid_token\" error_description=\"the token does not have a valid audience\"",
            string.Join(", ", response.Headers.GetValues("WWW-Authenticate")));
        Assert.Empty(capture.Requests);
    }

    [Fact]
    public async Task Request_ValidTokenInTheFirstOfTwoAuthorizationLines_Is401LikeTheCommaJoinedIdentitySource()
    {
        using var tokens = new TestTokens();
        var capture = new CapturingHandler();
        var port = FreePort();
        await using var server = await LocalApiServer.StartAsync(capture, new LocalApiOptions { Port = port, Authorizer = tokens.Authorizer(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestTokens.Now)) }, TestContext.Current.CancellationToken);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        await using var stream = tcp.GetStream();
        // Two header lines (HttpClient would fold them into one): API Gateway joins them with a comma, which is no token.
        var request = "GET /orders/o-1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + tokens.Mint(_ => { })
            + "\r\nAuthorization: Bearer junk\r\nConnection: close\r\n\r\n";

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync(TestContext.Current.CancellationToken);

        Assert.Equal("HTTP/1.1 401 Unauthorized", statusLine);
        Assert.Empty(capture.Requests);
    }

    [Fact]
    public async Task Request_WithValidToken_ReachesTheFunctionWithTheJwtAuthorizerBlock()
    {
        using var tokens = new TestTokens();
        var capture = new CapturingHandler();
        await using var server = await LocalApiServer.StartAsync(capture, new LocalApiOptions { Authorizer = tokens.Authorizer(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestTokens.Now)) }, TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = server.Url };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/o-1", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", tokens.Mint(c => c["cognito:groups"] = new List<string> { "operators" }));

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jwt = Assert.Single(capture.Requests).RequestContext.Authorizer!.Jwt!;
        Assert.Equal("[operators]", jwt.Claims["cognito:groups"]);
        Assert.Equal("5b1c1b52-0c1e-4a55-9a8e-1f2f7b9e0c11", jwt.Claims["sub"]);
        Assert.Null(jwt.Scopes);
    }

    [Fact]
    public async Task Request_ValidTokenWithoutTheRouteScope_Is403AndNeverReachesTheFunction()
    {
        using var tokens = new TestTokens();
        var capture = new CapturingHandler();
        var options = new LocalApiOptions
        {
            Authorizer = tokens.Authorizer(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestTokens.Now)),
            Routes = [new ApiRoute("POST", "/orders", ["orders/write"])],
        };
        await using var server = await LocalApiServer.StartAsync(capture, options, TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = server.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/orders", UriKind.Relative)) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + tokens.Mint(TestTokens.AccessClaims()));

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("{\"message\":\"Forbidden\"}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.Empty(capture.Requests);
    }

    [Fact]
    public async Task Request_UnknownRoute_Is404BeforeAnyAuthorization()
    {
        using var tokens = new TestTokens();
        var capture = new CapturingHandler();
        await using var server = await LocalApiServer.StartAsync(capture, new LocalApiOptions { Authorizer = tokens.Authorizer(TimeProvider.System) }, TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = server.Url };

        using var response = await client.GetAsync(new Uri("/customers", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("{\"message\":\"Not Found\"}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, tokens.Keys.Fetches);
    }

    private static async Task<string?> SendRawAsync(int port, byte[] request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(request, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync(TestContext.Current.CancellationToken);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class CapturingHandler : ILambdaHandler
    {
        public List<HttpApiRequest> Requests { get; } = [];

        public Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
        {
            Requests.Add(JsonSerializer.Deserialize(payload.Span, AwsShimsJsonContext.Default.HttpApiRequest)!);
            var response = new HttpApiResponse { StatusCode = 202, Headers = new Dictionary<string, string> { ["Content-Type"] = "application/json" }, Body = "{}" };
            return Task.FromResult(JsonSerializer.SerializeToUtf8Bytes(response, AwsShimsJsonContext.Default.HttpApiResponse));
        }
    }
}
