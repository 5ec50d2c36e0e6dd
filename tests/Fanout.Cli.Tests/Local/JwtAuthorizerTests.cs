using System.Security.Cryptography;
using System.Text.Json;
using Fanout.Harness.Http;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Fanout.Cli.Tests.Local;

/// <summary>The local API server's JWT authorizer decides as API Gateway's HTTP API JWT authorizer does ("Controlling
/// access to HTTP APIs with JWT authorizers"): tokens minted here with IdentityModel, keys served from memory.</summary>
[Trait("Category", "Unit")]
public sealed class JwtAuthorizerTests : IDisposable
{
    private const string Unauthorized = "{\"message\":\"Unauthorized\"}";
    private const string AudienceChallenge = "Bearer scope=\"\" error=\"invalid_token\" error_description=\"the token does not have a valid audience\"";
    private static readonly string[] _none = [];
    private readonly TestTokens _tokens = new();

    public void Dispose() => _tokens.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer    ")]
    public async Task AuthorizeAsync_NoToken_Is401WithBearerChallenge(string? authorization)
    {
        var decision = await _tokens.Authorizer().AuthorizeAsync(authorization, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
        Assert.Equal(0, _tokens.Keys.Fetches);
    }

    [Theory]
    [InlineData("Bearer {0}")]
    [InlineData("bearer {0}")]
    [InlineData("BEARER {0}")]
    [InlineData("{0}")]
    [InlineData("  Bearer   {0}  ")]
    public async Task AuthorizeAsync_ValidToken_BearerPrefixOptionalAnyCase_Allows(string format)
    {
        var header = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, _tokens.Mint(TestTokens.AccessClaims()));

        var decision = await _tokens.Authorizer().AuthorizeAsync(header, _none, TestContext.Current.CancellationToken);

        var allow = Assert.IsType<AuthorizerDecision.Allow>(decision);
        Assert.Equal("5b1c1b52-0c1e-4a55-9a8e-1f2f7b9e0c11", allow.Jwt.Claims["sub"]);
        Assert.Null(allow.Jwt.Scopes);
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task AuthorizeAsync_MalformedToken_Is401(string authorization)
    {
        var decision = await _tokens.Authorizer().AuthorizeAsync(authorization, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_SignedByAnotherKeyWithTheSameKid_Is401()
    {
        using var other = RSA.Create(2048);
        var token = _tokens.Mint(TestTokens.AccessClaims(), new RsaSecurityKey(other) { KeyId = TestTokens.Kid });

        var decision = await _tokens.Authorizer().AuthorizeAsync("Bearer " + token, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_TamperedPayload_Is401()
    {
        var parts = _tokens.Mint(TestTokens.AccessClaims()).Split('.');
        var forged = TestTokens.AccessClaims();
        forged["cognito:groups"] = new[] { "operators" };
        var forgedPayload = _tokens.Mint(forged).Split('.')[1];

        var decision = await _tokens.Authorizer().AuthorizeAsync($"{parts[0]}.{forgedPayload}.{parts[2]}", _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_Hs256Token_Is401()
    {
        var secret = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = TestTokens.Kid };
        var token = _tokens.Mint(TestTokens.AccessClaims(), secret, SecurityAlgorithms.HmacSha256);

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_Rs512WithTheRightKey_Is401BecauseOnlyRs256IsAccepted()
    {
        var token = _tokens.Mint(TestTokens.AccessClaims(), _tokens.Key, SecurityAlgorithms.RsaSha512);

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_OtherIssuer_Is401()
    {
        var token = _tokens.Mint(c => c["iss"] = "http://127.0.0.1:9229/local_Other");

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_NoIssuer_Is401()
    {
        var token = _tokens.Mint(c => c.Remove("iss"));

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_ClientIdOfAnotherClientAndNoAud_Is401WithAudienceDescription()
    {
        var token = _tokens.Mint(c => c["client_id"] = "otherclient");

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, AudienceChallenge);
    }

    [Fact]
    public async Task AuthorizeAsync_NeitherAudNorClientId_Is401WithAudienceDescription()
    {
        var token = _tokens.Mint(c => c.Remove("client_id"));

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, AudienceChallenge);
    }

    [Fact]
    public async Task AuthorizeAsync_AudPresent_IsCheckedInsteadOfClientId()
    {
        var wrongAud = _tokens.Mint(c => c["aud"] = "otherclient");
        var rightAud = _tokens.Mint(c =>
        {
            c["aud"] = TestTokens.ClientId;
            c["client_id"] = "otherclient";
        });
        var authorizer = _tokens.Authorizer();

        AssertUnauthorized(await authorizer.AuthorizeAsync(wrongAud, _none, TestContext.Current.CancellationToken), AudienceChallenge);
        Assert.IsType<AuthorizerDecision.Allow>(await authorizer.AuthorizeAsync(rightAud, _none, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AuthorizeAsync_AudArrayNamingTheClient_Allows()
    {
        var token = _tokens.Mint(c => c["aud"] = new[] { "someone-else", TestTokens.ClientId });

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        Assert.IsType<AuthorizerDecision.Allow>(decision);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(-1, false)]
    [InlineData(1, true)]
    public async Task AuthorizeAsync_Exp_MustBeAfterNowWithNoSkew(long secondsAfterNow, bool allowed)
    {
        var token = _tokens.Mint(c => c["exp"] = TestTokens.NowSeconds + secondsAfterNow);

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertAllowedOr401(decision, allowed);
    }

    [Theory]
    [InlineData("nbf", 1, false)]
    [InlineData("nbf", 0, true)]
    [InlineData("iat", 1, false)]
    [InlineData("iat", 0, true)]
    public async Task AuthorizeAsync_NbfAndIat_MustNotBeAfterNow(string claim, long secondsAfterNow, bool allowed)
    {
        var token = _tokens.Mint(c => c[claim] = TestTokens.NowSeconds + secondsAfterNow);

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertAllowedOr401(decision, allowed);
    }

    [Fact]
    public async Task AuthorizeAsync_NoExp_Is401()
    {
        var token = _tokens.Mint(c => c.Remove("exp"));

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_ClockMovesPastExp_SameTokenBecomes401()
    {
        var clock = new FakeTimeProvider(TestTokens.Now);
        var authorizer = _tokens.Authorizer(clock);
        var token = _tokens.Mint(TestTokens.AccessClaims());
        Assert.IsType<AuthorizerDecision.Allow>(await authorizer.AuthorizeAsync(token, _none, TestContext.Current.CancellationToken));

        clock.Advance(TimeSpan.FromHours(1));

        AssertUnauthorized(await authorizer.AuthorizeAsync(token, _none, TestContext.Current.CancellationToken), "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_RouteScopeMissingFromToken_Is403WithoutChallenge()
    {
        var token = _tokens.Mint(TestTokens.AccessClaims());

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, ["orders/admin", "orders/write"], TestContext.Current.CancellationToken);

        var refuse = Assert.IsType<AuthorizerDecision.Refuse>(decision);
        Assert.Equal(403, refuse.StatusCode);
        Assert.Equal("{\"message\":\"Forbidden\"}", refuse.Body);
        Assert.Null(refuse.WwwAuthenticate);
    }

    [Fact]
    public async Task AuthorizeAsync_TokenHasOneOfTheRouteScopes_AllowsAndPassesTheTokenScopes()
    {
        var token = _tokens.Mint(c => c["scope"] = "openid orders/write");

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, ["orders/admin", "orders/write"], TestContext.Current.CancellationToken);

        var allow = Assert.IsType<AuthorizerDecision.Allow>(decision);
        Assert.Equal(["openid", "orders/write"], allow.Jwt.Scopes);
    }

    [Fact]
    public async Task AuthorizeAsync_InvalidTokenOnAScopedRoute_Is401Not403()
    {
        var token = _tokens.Mint(c => c["iss"] = "http://elsewhere/pool");

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, ["orders/write"], TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task AuthorizeAsync_Allowed_RendersEveryClaimAsApiGatewayDoes()
    {
        var token = _tokens.Mint(c =>
        {
            c["cognito:groups"] = new List<string> { "operators", "support" };
            c["email_verified"] = true;
        });

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        var claims = Assert.IsType<AuthorizerDecision.Allow>(decision).Jwt.Claims;
        Assert.Equal("[operators support]", claims["cognito:groups"]);
        Assert.Equal((TestTokens.NowSeconds + 3600).ToString(System.Globalization.CultureInfo.InvariantCulture), claims["exp"]);
        Assert.Equal("true", claims["email_verified"]);
        Assert.Equal(TestTokens.ClientId, claims["client_id"]);
        Assert.Equal(TestTokens.Issuer, claims["iss"]);
        Assert.Equal(11, claims.Count);
    }

    [Fact]
    public void RenderClaims_NullClaim_IsLeftOut()
    {
        using var payload = JsonDocument.Parse("""{"sub":"s","nickname":null,"n":1.5,"o":{"a":1}}""");

        var claims = JwtAuthorizer.RenderClaims(payload.RootElement);

        Assert.Equal(new Dictionary<string, string> { ["sub"] = "s", ["n"] = "1.5", ["o"] = "{\"a\":1}" }, claims);
    }

    [Fact]
    public async Task AuthorizeAsync_KeysFetchedOnceAndCached()
    {
        var authorizer = _tokens.Authorizer();
        var token = _tokens.Mint(TestTokens.AccessClaims());

        await authorizer.AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);
        await authorizer.AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        Assert.Equal(1, _tokens.Keys.Fetches);
    }

    [Fact]
    public async Task AuthorizeAsync_UnknownKid_RefetchesOnceAndUsesTheRotatedKey()
    {
        var authorizer = _tokens.Authorizer();
        await authorizer.AuthorizeAsync(_tokens.Mint(TestTokens.AccessClaims()), _none, TestContext.Current.CancellationToken);
        using var rotated = RSA.Create(2048);
        var newKey = new RsaSecurityKey(rotated) { KeyId = "rotated" };
        _tokens.Keys.Next = TestTokens.JwksOf(newKey);

        var decision = await authorizer.AuthorizeAsync(_tokens.Mint(TestTokens.AccessClaims(), newKey), _none, TestContext.Current.CancellationToken);

        Assert.IsType<AuthorizerDecision.Allow>(decision);
        Assert.Equal(2, _tokens.Keys.Fetches);
    }

    [Fact]
    public async Task AuthorizeAsync_KidNotInTheJwksEvenAfterRefetch_Is401()
    {
        using var stranger = RSA.Create(2048);
        var token = _tokens.Mint(TestTokens.AccessClaims(), new RsaSecurityKey(stranger) { KeyId = "stranger" });

        var decision = await _tokens.Authorizer().AuthorizeAsync(token, _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
        Assert.Equal(2, _tokens.Keys.Fetches);
    }

    [Fact]
    public async Task AuthorizeAsync_JwksUnreachable_Is401AndNothingIsCached()
    {
        var authorizer = _tokens.Authorizer();
        var token = _tokens.Mint(TestTokens.AccessClaims());
        _tokens.Keys.Fail = true;

        AssertUnauthorized(await authorizer.AuthorizeAsync(token, _none, TestContext.Current.CancellationToken), "Bearer");

        _tokens.Keys.Fail = false;
        Assert.IsType<AuthorizerDecision.Allow>(await authorizer.AuthorizeAsync(token, _none, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"keys\":7}")]
    [InlineData("")]
    public async Task AuthorizeAsync_IssuerAnswersWithoutAJwks_Is401(string answer)
    {
        using var http = new HttpClient(new FixedAnswer(answer));
        var authorizer = new JwtAuthorizer(TestTokens.Issuer, [TestTokens.ClientId], new HttpJsonWebKeySetSource(http, TestTokens.Issuer), new FakeTimeProvider(TestTokens.Now));

        var decision = await authorizer.AuthorizeAsync(_tokens.Mint(TestTokens.AccessClaims()), _none, TestContext.Current.CancellationToken);

        AssertUnauthorized(decision, "Bearer");
    }

    [Fact]
    public async Task HttpJsonWebKeySetSource_JwksAnswer_GivesItsSigningKeys()
    {
        using var http = new HttpClient(new FixedAnswer(JsonSerializer.Serialize(TestTokens.JwksOf(_tokens.Key))));
        var authorizer = new JwtAuthorizer(TestTokens.Issuer, [TestTokens.ClientId], new HttpJsonWebKeySetSource(http, TestTokens.Issuer), new FakeTimeProvider(TestTokens.Now));

        var decision = await authorizer.AuthorizeAsync(_tokens.Mint(TestTokens.AccessClaims()), _none, TestContext.Current.CancellationToken);

        Assert.IsType<AuthorizerDecision.Allow>(decision);
    }

    [Fact]
    public void Constructor_NoAudience_Throws()
    {
        Assert.Throws<ArgumentException>(() => new JwtAuthorizer(TestTokens.Issuer, [], _tokens.Keys, TimeProvider.System));
    }

    [Fact]
    public void HttpJsonWebKeySetSource_JwksUri_IsTheIssuersWellKnownPath()
    {
        using var http = new HttpClient();

        Assert.Equal(new Uri("http://127.0.0.1:9229/local_Pool1/.well-known/jwks.json"), new HttpJsonWebKeySetSource(http, TestTokens.Issuer + "/").JwksUri);
    }

    private static void AssertAllowedOr401(AuthorizerDecision decision, bool allowed)
    {
        if (allowed)
        {
            Assert.IsType<AuthorizerDecision.Allow>(decision);
        }
        else
        {
            AssertUnauthorized(decision, "Bearer");
        }
    }

    private static void AssertUnauthorized(AuthorizerDecision decision, string challenge)
    {
        var refuse = Assert.IsType<AuthorizerDecision.Refuse>(decision);
        Assert.Equal(401, refuse.StatusCode);
        Assert.Equal(Unauthorized, refuse.Body);
        Assert.Equal(challenge, refuse.WwwAuthenticate);
    }

    private sealed class FixedAnswer(string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(body) });
    }
}
