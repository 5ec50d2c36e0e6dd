using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Fanout.Contracts.Topology;
using Fanout.Harness.Identity;
using Fanout.IntegrationTests.Support;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Fanout.IntegrationTests.Auth;

/// <summary>The local API server refuses what API Gateway's JWT authorizer refuses, with the same answers, for tokens
/// from the real cognito-local, and hands the real OrderIntake handler the claims of the tokens it accepts.</summary>
[Trait("Category", "Integration")]
public sealed class SignInTests(SignedInFixture fixture) : IClassFixture<SignedInFixture>
{
    private const string Unauthorized = "{\"message\":\"Unauthorized\"}";

    [Fact]
    public async Task PostOrder_NoToken_Is401AndTheFunctionNeverRuns()
    {
        var before = fixture.Invocations.Count;

        using var response = await fixture.SendAsync(HttpMethod.Post, "/orders", null, Api.OrderJson("c-none", null, ("MUG-WHITE", 1)));

        await AssertUnauthorizedAsync(response, "Bearer");
        Assert.Equal(before, fixture.Invocations.Count);
    }

    [Fact]
    public async Task GetOrder_TokenSignedByAnotherKeyWithTheSameClaimsAndKid_Is401()
    {
        var genuine = new JsonWebToken(await fixture.TokenAsync(fixture.Identity.Customer));
        using var rsa = RSA.Create(2048);
        var forger = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = genuine.Kid }, SecurityAlgorithms.RsaSha256);
        var forged = new JsonWebTokenHandler().CreateToken(Base64UrlEncoder.Decode(genuine.EncodedPayload), forger);
        var before = fixture.Invocations.Count;

        using var response = await fixture.SendAsync(HttpMethod.Get, "/orders/o-1", "Bearer " + forged);

        Assert.Equal("CognitoLocal", new JsonWebToken(forged).Kid);
        await AssertUnauthorizedAsync(response, "Bearer");
        Assert.Equal(before, fixture.Invocations.Count);
    }

    [Fact]
    public async Task GetOrder_TokenPastItsExp_Is401()
    {
        var token = await fixture.TokenAsync(fixture.Identity.Customer);
        var lifetime = TimeSpan.FromMinutes(OrderApiTopology.AccessTokenValidityMinutes);
        await using var later = await fixture.StartApiAsync(new ShiftedClock(lifetime + TimeSpan.FromSeconds(5)));
        await using var earlier = await fixture.StartApiAsync(new ShiftedClock(lifetime - TimeSpan.FromMinutes(1)));

        using var expired = await fixture.SendAsync(HttpMethod.Get, "/orders/o-1", "Bearer " + token, server: later);
        using var stillValid = await fixture.SendAsync(HttpMethod.Get, "/orders/o-1", "Bearer " + token, server: earlier);

        await AssertUnauthorizedAsync(expired, "Bearer");
        Assert.NotEqual(HttpStatusCode.Unauthorized, stillValid.StatusCode);
    }

    [Fact]
    public async Task GetOrder_TokenIssuedInTheFuture_Is401()
    {
        var token = await fixture.TokenAsync(fixture.Identity.Customer);
        await using var behind = await fixture.StartApiAsync(new ShiftedClock(TimeSpan.FromMinutes(-5)));

        using var response = await fixture.SendAsync(HttpMethod.Get, "/orders/o-1", "Bearer " + token, server: behind);

        await AssertUnauthorizedAsync(response, "Bearer");
    }

    [Fact]
    public async Task GetOrder_TokenOfAnotherAppClient_Is401WithTheAudienceDescription()
    {
        var identity = fixture.Identity;
        var otherClient = await identity.Admin.CreateUserPoolClientAsync(identity.UserPoolId, "another-app", 60, TestContext.Current.CancellationToken);
        var token = await fixture.TokenAsync(identity.Customer, otherClient);
        var before = fixture.Invocations.Count;

        using var response = await fixture.SendAsync(HttpMethod.Get, "/orders/o-1", "Bearer " + token);

        await AssertUnauthorizedAsync(response, "Bearer scope=\"\" error=\"invalid_token\" error_description=\"the token does not have a valid audience\"");
        Assert.Equal(before, fixture.Invocations.Count);
    }

    [Fact]
    public async Task GetOrder_TokenFromAnotherPool_Is401()
    {
        // cognito-local signs every pool with one key, so only the issuer check tells these tokens apart.
        using var otherPool = await LocalUserPool.ProvisionAsync(fixture.Identity.Endpoint, "us-east-1", TestContext.Current.CancellationToken);
        var token = await otherPool.SignInAsync(otherPool.Customer, TestContext.Current.CancellationToken);

        using var response = await fixture.SendAsync(HttpMethod.Get, "/orders/o-1", "Bearer " + token);

        Assert.Equal(otherPool.Issuer, new JsonWebToken(token).Issuer);
        Assert.NotEqual(fixture.Identity.Issuer, otherPool.Issuer);
        await AssertUnauthorizedAsync(response, "Bearer");
    }

    [Fact]
    public async Task PostOrder_OperatorToken_TheHandlerRunsAndSeesSubAndGroupsAsApiGatewayRendersThem()
    {
        var identity = fixture.Identity;
        var token = await fixture.TokenAsync(identity.Operator);

        using var response = await fixture.SendAsync(HttpMethod.Post, "/orders", "Bearer " + token, Api.OrderJson("c-operator-1", null, ("MUG-WHITE", 1)), idempotencyKey: "auth-operator-1");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var received = fixture.Invocations.Last(e => e.Headers?.GetValueOrDefault("idempotency-key") == "auth-operator-1");
        var jwt = received.RequestContext.Authorizer!.Jwt!;
        Assert.Equal(identity.Operator.Subject, jwt.Claims["sub"]);
        Assert.False(string.IsNullOrEmpty(identity.Operator.Subject));
        Assert.Equal("[" + OrderApiTopology.OperatorsGroup + "]", jwt.Claims["cognito:groups"]);
        Assert.Equal(identity.ClientId, jwt.Claims["client_id"]);
        Assert.Equal(identity.Issuer, jwt.Claims["iss"]);
        Assert.Equal("access", jwt.Claims["token_use"]);
        Assert.Null(jwt.Scopes);
    }

    [Fact]
    public async Task GetOrder_CustomerTokenWithoutBearerPrefix_ReachesTheHandlerWithoutGroups()
    {
        var identity = fixture.Identity;
        var token = await fixture.TokenAsync(identity.Customer);

        using var response = await fixture.SendAsync(HttpMethod.Get, "/orders/auth-customer-probe", token);

        Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        var received = fixture.Invocations.Last(e => e.PathParameters?.GetValueOrDefault("id") == "auth-customer-probe");
        var claims = received.RequestContext.Authorizer!.Jwt!.Claims;
        Assert.Equal(identity.Customer.Subject, claims["sub"]);
        Assert.False(claims.ContainsKey("cognito:groups"));
    }

    [Fact]
    public async Task PostOrder_RouteNeedingAScopeTheTokenLacks_Is403()
    {
        var token = await fixture.TokenAsync(fixture.Identity.Customer);
        await using var scoped = await fixture.StartApiAsync(TimeProvider.System, [new ApiRoute("POST", "/orders", ["orders/write"])]);
        var before = fixture.Invocations.Count;

        using var response = await fixture.SendAsync(HttpMethod.Post, "/orders", "Bearer " + token, Api.OrderJson("c-scope", null, ("MUG-WHITE", 1)), server: scoped);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("{\"message\":\"Forbidden\"}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(before, fixture.Invocations.Count);
    }

    [Fact]
    public async Task Provisioning_DemoUsers_SignInAndOnlyTheOperatorIsInTheOperatorsGroup()
    {
        var identity = fixture.Identity;

        var customer = new JsonWebToken(await fixture.TokenAsync(identity.Customer));
        var @operator = new JsonWebToken(await fixture.TokenAsync(identity.Operator));

        // As on Cognito, a pool signed into by e-mail names each user by a generated id (the sub), not by the address.
        Assert.Equal(identity.Customer.Subject, customer.GetClaim("username").Value);
        Assert.False(customer.TryGetPayloadValue<JsonElement>("cognito:groups", out _));
        Assert.True(@operator.TryGetPayloadValue<string[]>("cognito:groups", out var groups));
        Assert.Equal([OrderApiTopology.OperatorsGroup], groups);
        Assert.Equal(TimeSpan.FromMinutes(OrderApiTopology.AccessTokenValidityMinutes), customer.ValidTo - customer.IssuedAt);
        Assert.Equal($"http://127.0.0.1:{identity.Endpoint.Port}/{identity.UserPoolId}", customer.Issuer);
    }

    [Fact]
    public async Task CreateUserAsync_NewOperator_SignsInWithTheGeneratedPassword()
    {
        var user = await fixture.Identity.CreateUserAsync("second-operator@fanout.local", isOperator: true, TestContext.Current.CancellationToken);

        var token = new JsonWebToken(await fixture.TokenAsync(user));

        Assert.Equal(user.Subject, token.Subject);
        Assert.True(token.TryGetPayloadValue<string[]>("cognito:groups", out var groups));
        Assert.Equal([OrderApiTopology.OperatorsGroup], groups);
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string challenge)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(Unauthorized, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(challenge, string.Join(", ", response.Headers.GetValues("WWW-Authenticate")));
    }
}
