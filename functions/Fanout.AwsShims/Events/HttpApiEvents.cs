using System.Text.Json.Serialization;

namespace Fanout.AwsShims.Events;

/// <summary>An API Gateway HTTP API request, payload format version 2.0.</summary>
public sealed class HttpApiRequest
{
    [JsonPropertyName("version")]
    public string Version { get; set; } = "2.0";

    [JsonPropertyName("routeKey")]
    public string RouteKey { get; set; } = "$default";

    [JsonPropertyName("rawPath")]
    public string RawPath { get; set; } = "/";

    [JsonPropertyName("rawQueryString")]
    public string RawQueryString { get; set; } = "";

    [JsonPropertyName("cookies")]
    public List<string>? Cookies { get; set; }

    /// <summary>Header names arrive lower-cased; repeated headers are joined with commas.</summary>
    [JsonPropertyName("headers")]
    public Dictionary<string, string>? Headers { get; set; }

    [JsonPropertyName("queryStringParameters")]
    public Dictionary<string, string>? QueryStringParameters { get; set; }

    [JsonPropertyName("requestContext")]
    public HttpApiRequestContext RequestContext { get; set; } = new();

    [JsonPropertyName("body")]
    public string? Body { get; set; }

    [JsonPropertyName("pathParameters")]
    public Dictionary<string, string>? PathParameters { get; set; }

    [JsonPropertyName("isBase64Encoded")]
    public bool IsBase64Encoded { get; set; }

    [JsonPropertyName("stageVariables")]
    public Dictionary<string, string>? StageVariables { get; set; }

    /// <summary>Case-insensitive header lookup (API Gateway lower-cases names, test events may not).</summary>
    public string? GetHeader(string name)
    {
        if (Headers is null)
        {
            return null;
        }

        if (Headers.TryGetValue(name, out var value))
        {
            return value;
        }

        foreach (var pair in Headers)
        {
            if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return pair.Value;
            }
        }

        return null;
    }
}

public sealed class HttpApiRequestContext
{
    [JsonPropertyName("accountId")]
    public string? AccountId { get; set; }

    [JsonPropertyName("apiId")]
    public string? ApiId { get; set; }

    [JsonPropertyName("domainName")]
    public string? DomainName { get; set; }

    [JsonPropertyName("domainPrefix")]
    public string? DomainPrefix { get; set; }

    /// <summary>What the route's authorizer established about the caller; null on a route without one.</summary>
    [JsonPropertyName("authorizer")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public HttpApiAuthorizerDescription? Authorizer { get; set; }

    [JsonPropertyName("http")]
    public HttpApiHttpDescription Http { get; set; } = new();

    [JsonPropertyName("requestId")]
    public string? RequestId { get; set; }

    [JsonPropertyName("routeKey")]
    public string? RouteKey { get; set; }

    [JsonPropertyName("stage")]
    public string? Stage { get; set; }

    [JsonPropertyName("time")]
    public string? Time { get; set; }

    [JsonPropertyName("timeEpoch")]
    public long TimeEpoch { get; set; }
}

/// <summary><c>requestContext.authorizer</c> of a payload 2.0 event.</summary>
public sealed class HttpApiAuthorizerDescription
{
    /// <summary>Set when a JWT authorizer accepted the request.</summary>
    [JsonPropertyName("jwt")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public HttpApiJwtDescription? Jwt { get; set; }
}

/// <summary><c>requestContext.authorizer.jwt</c>: the verified token's claims, every value rendered as a string the
/// way API Gateway renders them (see <see cref="JwtClaimText"/>), and the scopes.</summary>
public sealed class HttpApiJwtDescription
{
    [JsonPropertyName("claims")]
    public Dictionary<string, string> Claims { get; set; } = [];

    /// <summary>The token's scopes when the route requires scopes; null on a route that requires none (as API
    /// Gateway delivers it).</summary>
    [JsonPropertyName("scopes")]
    public List<string>? Scopes { get; set; }

    /// <summary>One claim's value, or null when the token does not carry it.</summary>
    public string? Claim(string name) => Claims.TryGetValue(name, out var value) ? value : null;
}

public sealed class HttpApiHttpDescription
{
    [JsonPropertyName("method")]
    public string Method { get; set; } = "GET";

    [JsonPropertyName("path")]
    public string Path { get; set; } = "/";

    [JsonPropertyName("protocol")]
    public string? Protocol { get; set; }

    [JsonPropertyName("sourceIp")]
    public string? SourceIp { get; set; }

    [JsonPropertyName("userAgent")]
    public string? UserAgent { get; set; }
}

/// <summary>The structured response an HTTP API integration returns (payload format 2.0).</summary>
public sealed class HttpApiResponse
{
    [JsonPropertyName("statusCode")]
    public int StatusCode { get; set; }

    [JsonPropertyName("headers")]
    public Dictionary<string, string> Headers { get; set; } = [];

    [JsonPropertyName("cookies")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Cookies { get; set; }

    [JsonPropertyName("body")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Body { get; set; }

    [JsonPropertyName("isBase64Encoded")]
    public bool IsBase64Encoded { get; set; }
}
