using System.Text;
using Fanout.AwsShims.Events;

namespace Fanout.UnitTests.TestEvents;

/// <summary>Builds API Gateway HTTP API (payload 2.0) requests the way API Gateway delivers them: lower-case
/// header names, the route's path parameters, the method in <c>requestContext.http</c>, and the JWT authorizer's
/// <c>requestContext.authorizer.jwt</c> block. The default caller is the customer <see cref="DefaultSubject"/>, the
/// customer the default <see cref="OrderRequestBuilder"/> body names.</summary>
internal sealed class HttpApiRequestBuilder
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.Ordinal);
    private string _method = "POST";
    private string _path = "/orders";
    private string _routeKey = "POST /orders";
    private string? _body;
    private bool _isBase64Encoded;
    private Dictionary<string, string>? _pathParameters;
    private Dictionary<string, string>? _claims = Claims(DefaultSubject);
    private bool _authorizer = true;

    public const string DefaultSubject = "cust-42";

    /// <summary>Claims as API Gateway renders them: <c>sub</c>, plus <c>cognito:groups</c> as <c>"[a b]"</c> when given.</summary>
    public static Dictionary<string, string> Claims(string subject, params string[] groups)
    {
        var claims = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["sub"] = subject,
            ["client_id"] = "shop-client",
            ["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
            ["token_use"] = "access",
            ["scope"] = "aws.cognito.signin.user.admin",
        };
        if (groups.Length > 0)
        {
            claims["cognito:groups"] = "[" + string.Join(' ', groups) + "]";
        }

        return claims;
    }

    /// <summary>A POST /orders with a fresh <c>Idempotency-Key</c> (required); remove it with <see cref="WithoutHeader"/>.</summary>
    public static HttpApiRequestBuilder PostOrder(string body) =>
        new HttpApiRequestBuilder().WithHeader("content-type", "application/json").WithIdempotencyKey(Guid.NewGuid().ToString()).WithBody(body);

    /// <summary>A POST /orders/{id}/cancel, without a body, as the <c>POST /orders/{id}/cancel</c> route delivers it.</summary>
    public static HttpApiRequestBuilder CancelOrder(string id)
    {
        var builder = new HttpApiRequestBuilder { _method = "POST", _path = "/orders/" + id + "/cancel", _routeKey = "POST /orders/{id}/cancel" };
        builder._pathParameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["id"] = id };
        return builder;
    }

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

    /// <summary>The caller API Gateway's JWT authorizer verified: <paramref name="subject"/> in <paramref name="groups"/>.</summary>
    public HttpApiRequestBuilder WithCaller(string subject, params string[] groups) => WithClaims(Claims(subject, groups));

    /// <summary>A member of the operators group, with a subject of its own.</summary>
    public HttpApiRequestBuilder AsOperator(string subject = "operator-7") => WithCaller(subject, "operators");

    /// <summary>Exactly these claims (null: an authorizer block whose <c>jwt</c> has no claims at all).</summary>
    public HttpApiRequestBuilder WithClaims(Dictionary<string, string>? claims)
    {
        _claims = claims;
        _authorizer = true;
        return this;
    }

    /// <summary>No <c>requestContext.authorizer</c> at all, as on a route without an authorizer.</summary>
    public HttpApiRequestBuilder WithoutAuthorizer()
    {
        _authorizer = false;
        return this;
    }

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
            Authorizer = !_authorizer ? null : new HttpApiAuthorizerDescription
            {
                Jwt = _claims is null ? null : new HttpApiJwtDescription { Claims = new Dictionary<string, string>(_claims, StringComparer.Ordinal) },
            },
            Http = new HttpApiHttpDescription { Method = _method, Path = _path, Protocol = "HTTP/1.1", SourceIp = "192.0.2.1", UserAgent = "unit-test" },
        },
    };
}
