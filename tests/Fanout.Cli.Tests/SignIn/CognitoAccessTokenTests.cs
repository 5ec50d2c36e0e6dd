using Fanout.AwsShims.Cognito;
using Fanout.AwsShims.Signing;
using Fanout.Cli.SignIn;
using Fanout.Cli.Tests.TestDoubles;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Cli.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class CognitoAccessTokenTests
{
    private static readonly Uri _endpoint = new("http://cognito.test/");

    private static CognitoAccessToken Source(FakeCognito cognito, HttpClient http, TimeProvider time, string password = "pw-1") =>
        new(new CognitoIdentityProviderClient(http, _endpoint), "client-1", "ada@example.com", password, "the local demo customer", time);

    [Fact]
    public async Task GetAsync_FirstCall_SignsInWithUserPasswordAuthForTheClient()
    {
        var cognito = new FakeCognito { Passwords = { ["ada@example.com"] = "pw-1" } };
        using var http = new HttpClient(cognito);
        using var source = Source(cognito, http, new FakeTimeProvider());

        var token = await source.GetAsync(TestContext.Current.CancellationToken);

        Assert.Equal("token-1", token);
        var call = Assert.Single(cognito.Calls);
        Assert.Equal(_endpoint, call.Url);
        Assert.Equal("AWSCognitoIdentityProviderService.InitiateAuth", call.Target);
        Assert.Equal("USER_PASSWORD_AUTH", call.Body.GetProperty("AuthFlow").GetString());
        Assert.Equal("client-1", call.Body.GetProperty("ClientId").GetString());
        Assert.Equal(TimeSpan.FromHours(1), source.Lifetime);
    }

    [Fact]
    public async Task GetAsync_UntilAMinuteBeforeExpiry_ReusesTheToken()
    {
        var cognito = new FakeCognito { Passwords = { ["ada@example.com"] = "pw-1" } };
        using var http = new HttpClient(cognito);
        var time = new FakeTimeProvider();
        using var source = Source(cognito, http, time);
        var ct = TestContext.Current.CancellationToken;
        await source.GetAsync(ct);

        time.Advance(TimeSpan.FromMinutes(59) - TimeSpan.FromTicks(1));
        var reused = await source.GetAsync(ct);

        Assert.Equal("token-1", reused);
        Assert.Equal(1, source.SignIns);
    }

    [Fact]
    public async Task GetAsync_AMinuteBeforeExpiry_SignsInAgain()
    {
        var cognito = new FakeCognito { Passwords = { ["ada@example.com"] = "pw-1" } };
        using var http = new HttpClient(cognito);
        var time = new FakeTimeProvider();
        using var source = Source(cognito, http, time);
        var ct = TestContext.Current.CancellationToken;
        await source.GetAsync(ct);

        time.Advance(TimeSpan.FromMinutes(59));
        var renewed = await source.GetAsync(ct);

        Assert.Equal("token-2", renewed);
        Assert.Equal(2, source.SignIns);
    }

    [Fact]
    public async Task GetAsync_ShortLivedToken_RenewsAtHalfItsLife()
    {
        var cognito = new FakeCognito { Passwords = { ["ada@example.com"] = "pw-1" }, ExpiresIn = 60 };
        using var http = new HttpClient(cognito);
        var time = new FakeTimeProvider();
        using var source = Source(cognito, http, time);
        var ct = TestContext.Current.CancellationToken;
        await source.GetAsync(ct);

        time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromTicks(1));
        Assert.Equal("token-1", await source.GetAsync(ct));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal("token-2", await source.GetAsync(ct));
    }

    [Fact]
    public async Task GetAsync_ConcurrentCallers_SignInOnce()
    {
        var cognito = new FakeCognito { Passwords = { ["ada@example.com"] = "pw-1" } };
        using var http = new HttpClient(cognito);
        using var source = Source(cognito, http, new FakeTimeProvider());

        var tokens = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => source.GetAsync(TestContext.Current.CancellationToken).AsTask()));

        Assert.All(tokens, t => Assert.Equal("token-1", t));
        Assert.Equal(1, cognito.SignIns);
    }

    [Fact]
    public async Task GetAsync_WrongPassword_SaysSoWithoutTheCredentials()
    {
        var cognito = new FakeCognito { Passwords = { ["ada@example.com"] = "pw-1" } };
        using var http = new HttpClient(cognito);
        using var source = Source(cognito, http, new FakeTimeProvider(), password: "wrong-pw");

        var error = await Assert.ThrowsAsync<SignInException>(() => source.GetAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("Sign-in refused for the local demo customer: wrong password, or no such user (NotAuthorizedException).", error.Message);
        Assert.DoesNotContain("ada@example.com", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-pw", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_EndpointDown_NamesTheSignInEndpoint()
    {
        using var http = new HttpClient(new ThrowingHandler());
        using var source = Source(new FakeCognito(), http, new FakeTimeProvider());

        var error = await Assert.ThrowsAsync<SignInException>(() => source.GetAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.StartsWith("Cannot reach the sign-in endpoint http://cognito.test/ (connection refused)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UserNotConfirmedException", "UserNotConfirmedException")]
    [InlineData("PasswordResetRequiredException", "PasswordResetRequiredException")]
    [InlineData("ChallengeRequired", "challenge")]
    [InlineData("InvalidParameterException", "USER_PASSWORD_AUTH")]
    [InlineData("ResourceNotFoundException", "app client does not exist")]
    [InlineData("UserNotFoundException", "no such user in the pool")]
    [InlineData("SomethingElse", "Sign-in failed for x: ")]
    public void Explain_ErrorCode_SaysWhatWentWrong(string code, string expected)
    {
        var message = CognitoAccessToken.Explain(new AwsServiceException("Cognito", code, "details", System.Net.HttpStatusCode.BadRequest), "x");

        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    private sealed class ThrowingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("connection refused");
    }
}
