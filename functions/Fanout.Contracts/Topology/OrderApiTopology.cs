namespace Fanout.Contracts.Topology;

/// <summary>One route of the order API, as API Gateway's HTTP API names it.</summary>
/// <param name="Method">The HTTP method, upper case (RFC 9110 §9), e.g. <c>POST</c>.</param>
/// <param name="Path">The route path with <c>{name}</c> parameters, e.g. <c>/orders/{id}</c>.</param>
/// <param name="AuthorizationScopes">The OAuth 2.0 scopes of which the token must carry at least one (the HTTP API
/// route's <c>AuthorizationScopes</c>); empty means any valid token from the issuer is enough.</param>
public sealed record ApiRoute(string Method, string Path, IReadOnlyList<string> AuthorizationScopes)
{
    /// <summary>The HTTP API route key, e.g. <c>GET /orders/{id}</c>.</summary>
    public string RouteKey => Method + " " + Path;
}

/// <summary>The order API's shape and sign-in rules, shared by the CDK stack (which builds the HTTP API and its JWT
/// authorizer from it) and the local API server (which enforces the same rules in front of the same handler).</summary>
public static class OrderApiTopology
{
    /// <summary>The Cognito group (the <c>cognito:groups</c> claim) whose members may place and read orders for any
    /// customer.</summary>
    public const string OperatorsGroup = "operators";

    /// <summary>Where the JWT authorizer reads the token: the <c>Authorization</c> header (RFC 6750 §2.1), as the HTTP
    /// API identity source <c>$request.header.Authorization</c>.</summary>
    public const string IdentitySource = "$request.header.Authorization";

    /// <summary>How long an access token from the shop's app client lives, in minutes.</summary>
    public const int AccessTokenValidityMinutes = 60;

    /// <summary>The E.164 calling codes SMS may go to when CDK context <c>smsAllowedCountryCodes</c> is not set.</summary>
    public static IReadOnlyList<string> DefaultSmsAllowedCountryCodes { get; } = ["+1"];

    public static readonly ApiRoute PlaceOrder = new("POST", "/orders", []);

    public static readonly ApiRoute GetOrder = new("GET", "/orders/{id}", []);

    /// <summary>Asks for an order's cancellation: <c>202</c>, <c>404</c> (not yours or no such order) or <c>409</c>
    /// (already rejected or cancelled).</summary>
    public static readonly ApiRoute CancelOrder = new("POST", "/orders/{id}/cancel", []);

    /// <summary>Every route; each one has the JWT authorizer.</summary>
    public static IReadOnlyList<ApiRoute> Routes { get; } = [PlaceOrder, GetOrder, CancelOrder];
}
