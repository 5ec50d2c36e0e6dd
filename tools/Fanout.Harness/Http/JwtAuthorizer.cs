using System.Text.Json;
using Fanout.AwsShims.Events;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Fanout.Harness.Http;

/// <summary>What the authorizer decided for one request.</summary>
public abstract record AuthorizerDecision
{
    /// <summary>The token is valid and carries a scope the route needs: invoke the function with this
    /// <c>requestContext.authorizer.jwt</c>.</summary>
    public sealed record Allow(HttpApiJwtDescription Jwt) : AuthorizerDecision;

    /// <summary>API Gateway answers for the authorizer: the function never sees the request.</summary>
    /// <param name="StatusCode">401 or 403.</param>
    /// <param name="Body">Exactly <c>{"message":"Unauthorized"}</c> or <c>{"message":"Forbidden"}</c>.</param>
    /// <param name="WwwAuthenticate">The <c>www-authenticate</c> header of a 401 (RFC 6750 §3); null on a 403.</param>
    public sealed record Refuse(int StatusCode, string Body, string? WwwAuthenticate) : AuthorizerDecision;

    internal static readonly Refuse Unauthorized = new(401, "{\"message\":\"Unauthorized\"}", "Bearer");

    // The one refusal whose header AWS documents ("Troubleshooting issues with HTTP API JWT authorizers"), byte for byte.
    internal static readonly Refuse WrongAudience = new(
        401, "{\"message\":\"Unauthorized\"}", "Bearer scope=\"\" error=\"invalid_token\" error_description=\"the token does not have a valid audience\"");

    internal static readonly Refuse Forbidden = new(403, "{\"message\":\"Forbidden\"}", null);
}

/// <summary>Where the issuer's signing keys come from (a port, so tests can serve keys without a network).</summary>
public interface IJsonWebKeySetSource
{
    /// <summary>Fetches the issuer's current JSON Web Key Set (RFC 7517 §5).</summary>
    /// <exception cref="HttpRequestException">The JWKS could not be fetched.</exception>
    /// <exception cref="ArgumentException">The answer is not a JWKS.</exception>
    Task<JsonWebKeySet> FetchAsync(CancellationToken cancellationToken);
}

/// <summary>Reads <c>&lt;issuer&gt;/.well-known/jwks.json</c> over HTTP: Cognito's documented JWKS path ("Verifying a
/// JSON Web Token"), which cognito-local also serves. cognito-local's discovery document names a fixed
/// <c>localhost:9229</c> JWKS URL whatever its port, so the path is built from the issuer instead of discovered.</summary>
public sealed class HttpJsonWebKeySetSource : IJsonWebKeySetSource
{
    private readonly HttpClient _http;

    /// <param name="http">Sends the request; its <see cref="HttpClient.Timeout"/> bounds it.</param>
    /// <param name="issuer">The issuer URL, e.g. <c>http://127.0.0.1:41234/local_AbCd</c>.</param>
    public HttpJsonWebKeySetSource(HttpClient http, string issuer)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(issuer);
        _http = http;
        JwksUri = new Uri(issuer.TrimEnd('/') + "/.well-known/jwks.json");
    }

    public Uri JwksUri { get; }

    public async Task<JsonWebKeySet> FetchAsync(CancellationToken cancellationToken)
    {
        var json = await _http.GetStringAsync(JwksUri, cancellationToken);
        return new JsonWebKeySet(json);
    }
}

/// <summary>API Gateway's HTTP API JWT authorizer, for the local API server ("Controlling access to HTTP APIs with JWT
/// authorizers"): the token comes from the <c>Authorization</c> header, with or without a <c>Bearer </c> prefix (any
/// case); it must be an RS256 JWS whose <c>kid</c> is in the issuer's JWKS and whose signature verifies with that key;
/// <c>iss</c> must equal the issuer; <c>aud</c> must name one of the audiences or, when the token has no <c>aud</c>,
/// <c>client_id</c> must; <c>exp</c> must be after now and <c>nbf</c> and <c>iat</c> not after now, with no clock
/// skew, on the injected clock. <c>token_use</c> is not checked, as on AWS. Any failure is a 401; a valid token
/// with none of the route's scopes is a 403. Validation uses Microsoft.IdentityModel.JsonWebTokens.</summary>
/// <remarks>The JWKS is fetched on first use and cached; a token whose <c>kid</c> is not in the cached set causes one
/// re-fetch (the issuer may have rotated its keys). Nothing here logs a token or a claim.</remarks>
public sealed class JwtAuthorizer
{
    private static readonly string[] _algorithms = [SecurityAlgorithms.RsaSha256];
    private readonly JsonWebTokenHandler _handler = new();
    private readonly IJsonWebKeySetSource _keys;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _audiences;
    private IList<SecurityKey>? _signingKeys;

    /// <param name="issuer">The exact <c>iss</c> tokens must carry.</param>
    /// <param name="audiences">The accepted <c>aud</c> (or <c>client_id</c>) values: for Cognito, the app client ids.</param>
    /// <param name="keys">The issuer's JWKS.</param>
    /// <param name="time">"Now" for <c>exp</c>, <c>nbf</c> and <c>iat</c>.</param>
    public JwtAuthorizer(string issuer, IReadOnlyCollection<string> audiences, IJsonWebKeySetSource keys, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(issuer);
        ArgumentNullException.ThrowIfNull(audiences);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(time);
        if (audiences.Count == 0)
        {
            throw new ArgumentException("A JWT authorizer needs at least one audience.", nameof(audiences));
        }

        Issuer = issuer;
        _audiences = new HashSet<string>(audiences, StringComparer.Ordinal);
        _keys = keys;
        _time = time;
    }

    public string Issuer { get; }

    /// <summary>Decides one request.</summary>
    /// <param name="authorization">The <c>Authorization</c> header as received (null when absent).</param>
    /// <param name="requiredScopes">The route's scopes; the token needs one of them. Empty: any valid token.</param>
    public async Task<AuthorizerDecision> AuthorizeAsync(string? authorization, IReadOnlyList<string> requiredScopes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requiredScopes);
        var token = BearerToken(authorization);
        if (token is null)
        {
            return AuthorizerDecision.Unauthorized;
        }

        JsonWebToken validated;
        try
        {
            var result = await ValidateAsync(token, refreshKeys: false, cancellationToken);
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                result = await ValidateAsync(token, refreshKeys: true, cancellationToken);
            }

            if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
            {
                return AuthorizerDecision.Unauthorized;
            }

            validated = jwt;
        }
        catch (Exception ex) when (ex is HttpRequestException or ArgumentException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // No keys to check the signature with: the request cannot be authorized.
            return AuthorizerDecision.Unauthorized;
        }

        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(validated.EncodedPayload));
        var claims = payload.RootElement;
        if (!HasValidAudience(claims))
        {
            return AuthorizerDecision.WrongAudience;
        }

        if (!IsWithinLifetime(claims, _time.GetUtcNow().ToUnixTimeSeconds()))
        {
            return AuthorizerDecision.Unauthorized;
        }

        var scopes = claims.TryGetProperty("scope", out var scope) && scope.ValueKind == JsonValueKind.String
            ? scope.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];
        if (requiredScopes.Count > 0 && !requiredScopes.Any(scopes.Contains))
        {
            return AuthorizerDecision.Forbidden;
        }

        return new AuthorizerDecision.Allow(new HttpApiJwtDescription
        {
            Claims = RenderClaims(claims),
            Scopes = requiredScopes.Count == 0 ? null : [.. scopes],
        });
    }

    /// <summary>The token from an <c>Authorization</c> value: the value itself, without a leading <c>Bearer </c> in
    /// any case (API Gateway accepts both forms); null when nothing is left.</summary>
    internal static string? BearerToken(string? authorization)
    {
        var value = authorization?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        const string scheme = "Bearer";
        if (value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && (value.Length == scheme.Length || char.IsWhiteSpace(value[scheme.Length])))
        {
            value = value[scheme.Length..].TrimStart();
        }

        return value.Length == 0 ? null : value;
    }

    /// <summary>Every claim as API Gateway delivers it (<see cref="JwtClaimText.Render"/>); null-valued claims left out.</summary>
    internal static Dictionary<string, string> RenderClaims(JsonElement payload)
    {
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var claim in payload.EnumerateObject())
        {
            if (JwtClaimText.Render(claim.Value) is { } text)
            {
                claims[claim.Name] = text;
            }
        }

        return claims;
    }

    /// <summary><c>exp</c> is required and must be after <paramref name="now"/>; <c>nbf</c> and <c>iat</c>, when present,
    /// must not be after it (seconds since the Unix epoch, RFC 7519 §4.1.4–4.1.6; no clock skew allowed).</summary>
    internal static bool IsWithinLifetime(JsonElement payload, long now)
    {
        if (!TryNumericDate(payload, "exp", out var expires, required: true) || expires <= now)
        {
            return false;
        }

        return TryNumericDate(payload, "nbf", out var notBefore, required: false) && notBefore <= now
            && TryNumericDate(payload, "iat", out var issuedAt, required: false) && issuedAt <= now;
    }

    private static bool TryNumericDate(JsonElement payload, string name, out double seconds, bool required)
    {
        seconds = double.MinValue;
        if (!payload.TryGetProperty(name, out var value))
        {
            return !required;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out seconds);
    }

    private bool HasValidAudience(JsonElement payload)
    {
        if (payload.TryGetProperty("aud", out var audience))
        {
            return audience.ValueKind switch
            {
                JsonValueKind.String => _audiences.Contains(audience.GetString()!),
                JsonValueKind.Array => audience.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && _audiences.Contains(a.GetString()!)),
                _ => false,
            };
        }

        return payload.TryGetProperty("client_id", out var clientId) && clientId.ValueKind == JsonValueKind.String && _audiences.Contains(clientId.GetString()!);
    }

    private async Task<TokenValidationResult> ValidateAsync(string token, bool refreshKeys, CancellationToken cancellationToken)
    {
        var keys = await SigningKeysAsync(refreshKeys, cancellationToken);
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidateIssuer = true,
            // Audience and lifetime follow API Gateway's rules (client_id when there is no aud; iat not in the
            // future; no skew), which differ from the library's, so they are checked on the validated payload.
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ValidAlgorithms = _algorithms,
            IssuerSigningKeys = keys,
            // The kid must name a key of the issuer; never fall back to trying every key.
            TryAllIssuerSigningKeys = false,
            LogValidationExceptions = false,
            LogTokenId = false,
        };
        return await _handler.ValidateTokenAsync(token, parameters);
    }

    private async Task<IList<SecurityKey>> SigningKeysAsync(bool refresh, CancellationToken cancellationToken)
    {
        var cached = Volatile.Read(ref _signingKeys);
        if (cached is not null && !refresh)
        {
            return cached;
        }

        // Two requests racing here both fetch; the local server can afford that, and neither waits on the other.
        var keys = (await _keys.FetchAsync(cancellationToken)).GetSigningKeys();
        Volatile.Write(ref _signingKeys, keys);
        return keys;
    }
}
