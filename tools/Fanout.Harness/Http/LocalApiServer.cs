using System.Globalization;
using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fanout.Harness.Http;

/// <summary>How the local API server is set up.</summary>
public sealed record LocalApiOptions
{
    /// <summary>The loopback port; 0 picks a free one (read it back from <see cref="LocalApiServer.Url"/>).</summary>
    public int Port { get; init; }

    /// <summary>The routes, each with its required scopes (default: the stack's, <see cref="OrderApiTopology.Routes"/>).</summary>
    public IReadOnlyList<ApiRoute> Routes { get; init; } = OrderApiTopology.Routes;

    /// <summary>The JWT authorizer on every route. Null only for tests of the HTTP mapping itself: the routes are
    /// then open, as before sign-in existed; <c>fanout up</c> always sets one.</summary>
    public JwtAuthorizer? Authorizer { get; init; }

    /// <summary>The clock for the event's <c>requestContext.time</c> and the invocation deadline.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>Serves the OrderIntake function over HTTP the way API Gateway's HTTP API does: it turns each
/// request into a payload-2.0 event for the routes the stack defines, runs the routes' JWT authorizer (a refusal
/// is answered here and the function never sees the request), invokes the same handler the Lambda runs, and
/// writes its structured response back. Unmatched routes get API Gateway's own <c>404 {"message":"Not Found"}</c>,
/// before any authorization.</summary>
public sealed class LocalApiServer : IAsyncDisposable
{
    /// <summary>API Gateway's HTTP API payload limit.</summary>
    private const int MaxPayloadBytes = 10 * 1024 * 1024;
    private readonly WebApplication _app;

    private LocalApiServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>Starts an open server (no authorizer) on <paramref name="port"/>, for tests of the HTTP mapping.</summary>
    public static Task<LocalApiServer> StartAsync(ILambdaHandler orderApi, int port, CancellationToken cancellationToken) =>
        StartAsync(orderApi, new LocalApiOptions { Port = port }, cancellationToken);

    /// <summary>Starts the server on 127.0.0.1 and returns once it accepts connections.</summary>
    public static async Task<LocalApiServer> StartAsync(ILambdaHandler orderApi, LocalApiOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(orderApi);
        ArgumentNullException.ThrowIfNull(options);
        var port = options.Port;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = MaxPayloadBytes;
            k.AddServerHeader = false;
            // Kestrel refuses a request whose header bytes are not UTF-8 with its own empty 400, before the function
            // sees it; API Gateway passes headers on. Decoding with replacement characters lets the function judge
            // them, so an unusable X-Correlation-Id is replaced there instead of blocking the order here.
            k.RequestHeaderEncodingSelector = _ => Encoding.UTF8;
        });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var app = builder.Build();
        app.Run(context => HandleAsync(context, orderApi, options));
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        return new LocalApiServer(app, new Uri(bound.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }

    /// <summary>Maps a request to its route, as API Gateway's HTTP API matches route keys: the method and every
    /// literal segment equal, each <c>{name}</c> segment one non-empty path segment; null when no route matches.</summary>
    /// <param name="path">The request path, percent-decoded once, as API Gateway's HTTP API decodes it.</param>
    internal static (ApiRoute Route, Dictionary<string, string>? PathParameters)? MatchRoute(IReadOnlyList<ApiRoute> routes, string method, string path)
    {
        // The path is already percent-decoded (by Kestrel here, by API Gateway there): decoding it again would
        // turn /orders/%2541 into the id "A" instead of "%41".
        var segments = path.Split('/');
        foreach (var route in routes)
        {
            var template = route.Path.Split('/');
            if (!string.Equals(route.Method, method, StringComparison.Ordinal) || template.Length != segments.Length)
            {
                continue;
            }

            Dictionary<string, string>? parameters = null;
            var matched = true;
            for (var i = 0; i < template.Length && matched; i++)
            {
                if (template[i] is ['{', .. var name, '}'])
                {
                    matched = segments[i].Length > 0;
                    (parameters ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = segments[i];
                }
                else
                {
                    matched = string.Equals(template[i], segments[i], StringComparison.Ordinal);
                }
            }

            if (matched)
            {
                return (route, parameters);
            }
        }

        return null;
    }

    private static async Task HandleAsync(HttpContext context, ILambdaHandler orderApi, LocalApiOptions options)
    {
        var requestId = Guid.NewGuid().ToString();
        context.Response.Headers["apigw-requestid"] = requestId;
        var request = context.Request;
        var route = MatchRoute(options.Routes, request.Method, request.Path.Value ?? "/");
        if (route is null)
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"message\":\"Not Found\"}", context.RequestAborted);
            return;
        }

        HttpApiAuthorizerDescription? authorizer = null;
        if (options.Authorizer is { } jwtAuthorizer)
        {
            // Repeated headers reach API Gateway's identity source joined with commas, so two Authorization headers
            // are one value that is no token at all, never "the first one wins".
            var authorization = request.Headers.Authorization.Count == 0 ? null : string.Join(",", request.Headers.Authorization.ToArray());
            var decision = await jwtAuthorizer.AuthorizeAsync(authorization, route.Value.Route.AuthorizationScopes, context.RequestAborted);
            if (decision is AuthorizerDecision.Refuse refusal)
            {
                context.Response.StatusCode = refusal.StatusCode;
                context.Response.ContentType = "application/json";
                if (refusal.WwwAuthenticate is { } challenge)
                {
                    context.Response.Headers.WWWAuthenticate = challenge;
                }

                await context.Response.WriteAsync(refusal.Body, context.RequestAborted);
                return;
            }

            authorizer = new HttpApiAuthorizerDescription { Jwt = ((AuthorizerDecision.Allow)decision).Jwt };
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var textual = IsTextual(request.ContentType);
        var now = options.Time.GetUtcNow();

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Headers)
        {
            if (string.Equals(name, "Cookie", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            headers[name.ToLowerInvariant()] = string.Join(",", values.ToArray());
        }

        var apiEvent = new HttpApiRequest
        {
            RouteKey = route.Value.Route.RouteKey,
            RawPath = request.Path.Value ?? "/",
            RawQueryString = request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
            Cookies = request.Cookies.Count > 0 ? request.Cookies.Select(c => $"{c.Key}={c.Value}").ToList() : null,
            Headers = headers,
            QueryStringParameters = request.Query.Count > 0 ? request.Query.ToDictionary(q => q.Key, q => string.Join(",", q.Value.ToArray())) : null,
            PathParameters = route.Value.PathParameters,
            Body = body.Length == 0 ? null : textual ? Encoding.UTF8.GetString(body) : Convert.ToBase64String(body),
            IsBase64Encoded = body.Length > 0 && !textual,
            RequestContext = new HttpApiRequestContext
            {
                AccountId = "000000000000",
                ApiId = "local",
                DomainName = request.Host.Value,
                DomainPrefix = "local",
                RequestId = requestId,
                RouteKey = route.Value.Route.RouteKey,
                Stage = "$default",
                Time = now.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
                TimeEpoch = now.ToUnixTimeMilliseconds(),
                Authorizer = authorizer,
                Http = new HttpApiHttpDescription
                {
                    Method = request.Method,
                    Path = request.Path.Value ?? "/",
                    Protocol = request.Protocol,
                    SourceIp = context.Connection.RemoteIpAddress?.ToString(),
                    UserAgent = request.Headers.UserAgent.ToString(),
                },
            },
        };

        var payload = JsonSerializer.SerializeToUtf8Bytes(apiEvent, AwsShimsJsonContext.Default.HttpApiRequest);
        HttpApiResponse? response;
        try
        {
            var invocation = new LambdaInvocation(requestId, TimeProvider.System.GetUtcNow().AddSeconds(30), null, null);
            var raw = await orderApi.InvokeAsync(payload, invocation, context.RequestAborted);
            response = JsonSerializer.Deserialize(raw, AwsShimsJsonContext.Default.HttpApiResponse);
        }
#pragma warning disable CA1031 // A function error is API Gateway's 500 {"message":"Internal Server Error"}.
        catch (Exception)
#pragma warning restore CA1031
        {
            response = null;
        }

        if (response is null)
        {
            context.Response.StatusCode = 500;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"message\":\"Internal Server Error\"}", context.RequestAborted);
            return;
        }

        context.Response.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        foreach (var cookie in response.Cookies ?? [])
        {
            context.Response.Headers.Append("Set-Cookie", cookie);
        }

        if (response.Body is { } responseBody)
        {
            var bytes = response.IsBase64Encoded ? Convert.FromBase64String(responseBody) : Encoding.UTF8.GetBytes(responseBody);
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }

    /// <summary>Whether API Gateway's HTTP API hands the body to Lambda as text (<c>isBase64Encoded: false</c>).
    /// With payload format 2.0 it base64-encodes every request body except those whose media type is
    /// <c>text/*</c>, <c>application/json</c>, <c>application/javascript</c> or <c>application/xml</c>; a missing
    /// Content-Type, <c>application/x-www-form-urlencoded</c> and structured-syntax types such as
    /// <c>application/problem+json</c> all arrive base64-encoded ("Create AWS Lambda proxy integrations for HTTP
    /// APIs": "If the content type of the request is binary, the body is base64-encoded"; the list is the one
    /// observed on AWS). Matching it here makes local runs exercise the function's base64 path.</summary>
    internal static bool IsTextual(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return false;
        }

        var media = contentType.Split(';')[0].Trim().ToLowerInvariant();
        return media.StartsWith("text/", StringComparison.Ordinal)
            || media is "application/json" or "application/javascript" or "application/xml";
    }
}
