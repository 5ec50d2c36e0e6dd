using System.Text;
using Fanout.AwsShims.Events;

namespace Fanout.UnitTests.TestEvents;

/// <summary>Builds API Gateway HTTP API (payload 2.0) requests the way API Gateway delivers them: lower-case
/// header names, the route's path parameters, the method in <c>requestContext.http</c>.</summary>
internal sealed class HttpApiRequestBuilder
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.Ordinal);
    private string _method = "POST";
    private string _path = "/orders";
    private string _routeKey = "POST /orders";
    private string? _body;
    private bool _isBase64Encoded;
    private Dictionary<string, string>? _pathParameters;

    public static HttpApiRequestBuilder PostOrder(string body) =>
        new HttpApiRequestBuilder().WithHeader("content-type", "application/json").WithBody(body);

    public static HttpApiRequestBuilder GetOrder(string id)
    {
        var builder = new HttpApiRequestBuilder { _method = "GET", _path = "/orders/" + id, _routeKey = "GET /orders/{id}" };
        builder._pathParameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["id"] = id };
        return builder;
    }

    public HttpApiRequestBuilder WithMethod(string method)
    {
        _method = method;
        _routeKey = method + " " + _path;
        return this;
    }

    public HttpApiRequestBuilder WithPath(string path)
    {
        _path = path;
        _pathParameters = null;
        return this;
    }

    public HttpApiRequestBuilder WithHeader(string name, string value)
    {
        _headers[name.ToLowerInvariant()] = value;
        return this;
    }

    public HttpApiRequestBuilder WithoutHeader(string name)
    {
        _headers.Remove(name.ToLowerInvariant());
        return this;
    }

    public HttpApiRequestBuilder WithIdempotencyKey(string key) => WithHeader("Idempotency-Key", key);

    public HttpApiRequestBuilder WithBody(string? body)
    {
        _body = body;
        _isBase64Encoded = false;
        return this;
    }

    public HttpApiRequestBuilder WithBase64Body(string base64)
    {
        _body = base64;
        _isBase64Encoded = true;
        return this;
    }

    public HttpApiRequestBuilder WithBase64Body(byte[] raw) => WithBase64Body(Convert.ToBase64String(raw));

    public HttpApiRequestBuilder WithUtf8Body(string text) => WithBase64Body(Encoding.UTF8.GetBytes(text));

    public HttpApiRequest Build() => new()
    {
        RouteKey = _routeKey,
        RawPath = _path,
        Headers = new Dictionary<string, string>(_headers, StringComparer.Ordinal),
        Body = _body,
        IsBase64Encoded = _isBase64Encoded,
        PathParameters = _pathParameters is null ? null : new Dictionary<string, string>(_pathParameters, StringComparer.Ordinal),
        RequestContext = new HttpApiRequestContext
        {
            AccountId = "123456789012",
            ApiId = "api-id",
            RequestId = "request-1",
            RouteKey = _routeKey,
            Stage = "$default",
            Http = new HttpApiHttpDescription { Method = _method, Path = _path, Protocol = "HTTP/1.1", SourceIp = "192.0.2.1", UserAgent = "unit-test" },
        },
    };
}
