using System.Net;
using Fanout.AwsShims.Cognito;
using Fanout.AwsShims.Signing;
using Fanout.UnitTests.TestDoubles;

namespace Fanout.UnitTests.AwsShims.Cognito;

/// <summary>Sign-in with <c>USER_PASSWORD_AUTH</c> over AWS JSON 1.1 (unsigned), the endpoint it talks to, and how
/// Cognito's answers and refusals are read.</summary>
[Trait("Category", "Unit")]
public sealed class CognitoIdentityProviderClientTests
{
    private static readonly Uri _endpoint = new("http://localhost:9229/");

    [Fact]
    public async Task InitiateAuthAsync_Success_PostsAnUnsignedPasswordAuthAndReturnsTheTokens()
    {
        var handler = Answering("""{"AuthenticationResult":{"AccessToken":"a.b.c","IdToken":"d.e.f","ExpiresIn":900,"TokenType":"Bearer"},"ChallengeParameters":{}}""");

        var tokens = await Client(handler).InitiateAuthAsync("client-1", "a@example.com", "Pa55-word-long", TestContext.Current.CancellationToken);

        Assert.Equal(new CognitoTokens("a.b.c", "d.e.f", 900), tokens);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal(_endpoint, sent.Uri);
        Assert.Equal("application/x-amz-json-1.1", sent.Headers["Content-Type"]);
        Assert.Equal("AWSCognitoIdentityProviderService.InitiateAuth", sent.Headers["X-Amz-Target"]);
        Assert.False(sent.Headers.ContainsKey("Authorization"));
        Assert.Equal(
            """{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"client-1","AuthParameters":{"USERNAME":"a@example.com","PASSWORD":"Pa55-word-long"}}""",
            sent.BodyText);
    }

    [Theory]
    [InlineData("""{"AuthenticationResult":{"AccessToken":"a.b.c"}}""")]
    [InlineData("""{"AuthenticationResult":{"AccessToken":"a.b.c","ExpiresIn":9.5}}""")]
    public async Task InitiateAuthAsync_NoWholeExpiresIn_AssumesAnHourAndNoIdToken(string answer)
    {
        var tokens = await Client(Answering(answer)).InitiateAuthAsync("client-1", "u", "p", TestContext.Current.CancellationToken);

        Assert.Equal(new CognitoTokens("a.b.c", null, 3600), tokens);
    }

    [Fact]
    public async Task InitiateAuthAsync_ChallengeInsteadOfTokens_ThrowsChallengeRequiredNamingIt()
    {
        var handler = Answering("""{"ChallengeName":"NEW_PASSWORD_REQUIRED","Session":"s","ChallengeParameters":{}}""");

        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(handler).InitiateAuthAsync("client-1", "u", "p", TestContext.Current.CancellationToken));

        Assert.Equal("ChallengeRequired", error.ErrorCode);
        Assert.Equal(HttpStatusCode.OK, error.StatusCode);
        Assert.Equal("Cognito answered 200 ChallengeRequired: Sign-in needs the challenge 'NEW_PASSWORD_REQUIRED' answered first.", error.Message);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"AuthenticationResult":null}""")]
    [InlineData("""{"AuthenticationResult":"a.b.c"}""")]
    public async Task InitiateAuthAsync_NeitherTokensNorChallengeName_ThrowsChallengeRequiredUnknown(string answer)
    {
        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(Answering(answer)).InitiateAuthAsync("client-1", "u", "p", TestContext.Current.CancellationToken));

        Assert.Equal("ChallengeRequired", error.ErrorCode);
        Assert.Contains("'unknown'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"AuthenticationResult":{}}""")]
    [InlineData("""{"AuthenticationResult":{"AccessToken":""}}""")]
    [InlineData("""{"AuthenticationResult":{"AccessToken":null,"IdToken":"d.e.f"}}""")]
    public async Task InitiateAuthAsync_NoAccessToken_Throws(string answer)
    {
        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(Answering(answer)).InitiateAuthAsync("client-1", "u", "p", TestContext.Current.CancellationToken));

        Assert.Equal("Cognito InitiateAuth answered without an AccessToken.", error.Message);
        Assert.Equal("", error.ErrorCode);
    }

    [Fact]
    public async Task InitiateAuthAsync_WrongPassword_ThrowsCognitosCodeAndMessage()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(
            HttpStatusCode.BadRequest, """{"__type":"NotAuthorizedException","message":"Incorrect username or password."}""", "application/x-amz-json-1.1"));

        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(handler).InitiateAuthAsync("client-1", "u", "wrong", TestContext.Current.CancellationToken));

        Assert.Equal("NotAuthorizedException", error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("Cognito answered 400 NotAuthorizedException: Incorrect username or password.", error.Message);
    }

    [Fact]
    public async Task InitiateAuthAsync_ErrorTypeHeader_GivesTheCode()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.JsonError(HttpStatusCode.BadRequest, "UserNotConfirmedException", "User is not confirmed."));

        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(handler).InitiateAuthAsync("client-1", "u", "p", TestContext.Current.CancellationToken));

        Assert.Equal("UserNotConfirmedException", error.ErrorCode);
        Assert.Equal("Cognito answered 400 UserNotConfirmedException: User is not confirmed.", error.Message);
    }

    [Theory]
    [InlineData(" ", "u", "p")]
    [InlineData("client-1", "", "p")]
    [InlineData("client-1", "u", "")]
    public async Task InitiateAuthAsync_MissingArgument_ThrowsWithoutCalling(string clientId, string username, string password)
    {
        var handler = Answering("{}");

        await Assert.ThrowsAnyAsync<ArgumentException>(
            () => Client(handler).InitiateAuthAsync(clientId, username, password, TestContext.Current.CancellationToken));
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK, "", "{}")]
    [InlineData(HttpStatusCode.OK, """{"a":1}""", """{"a":1}""")]
    [InlineData((HttpStatusCode)200, "[]", "[]")]
    [InlineData(HttpStatusCode.NoContent, "", "{}")]
    [InlineData((HttpStatusCode)299, """{"b":2}""", """{"b":2}""")]
    public void ReadAnswer_Success_ParsesTheBodyOrAnEmptyObject(HttpStatusCode status, string body, string expected)
    {
        using var answer = CognitoIdentityProviderClient.ReadAnswer(status, null, body);

        Assert.Equal(expected, answer.RootElement.GetRawText());
    }

    [Theory]
    [InlineData((HttpStatusCode)199)]
    [InlineData((HttpStatusCode)300)]
    [InlineData(HttpStatusCode.BadRequest)]
    public void ReadAnswer_OutsideTwoHundreds_Throws(HttpStatusCode status)
    {
        var error = Assert.Throws<AwsServiceException>(() => CognitoIdentityProviderClient.ReadAnswer(status, null, """{"__type":"X","message":"m"}"""));

        Assert.Equal("X", error.ErrorCode);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal($"Cognito answered {(int)status} X: m", error.Message);
    }

    [Theory]
    [InlineData("""{"__type":"com.amazonaws#ResourceNotFoundException","Message":"pool gone"}""", "ResourceNotFoundException", "pool gone")]
    [InlineData("""{"__type":"ResourceNotFoundException","message":7}""", "ResourceNotFoundException", "")]
    [InlineData("""{"__type":"ResourceNotFoundException","message":null,"Message":"second"}""", "ResourceNotFoundException", "")]
    [InlineData("""{"__type":"ResourceNotFoundException"}""", "ResourceNotFoundException", "")]
    [InlineData("""["ResourceNotFoundException"]""", "Unknown", "")]
    [InlineData("Bad Gateway", "Unknown", "")]
    [InlineData("", "Unknown", "")]
    public void ReadAnswer_Refusal_ReadsCodeAndMessageWhereThereAreAny(string body, string code, string message)
    {
        var error = Assert.Throws<AwsServiceException>(() => CognitoIdentityProviderClient.ReadAnswer(HttpStatusCode.BadGateway, null, body));

        Assert.Equal(code, error.ErrorCode);
        Assert.Equal($"Cognito answered 502 {code}: {message}", error.Message);
    }

    [Fact]
    public void Json_WritesOneObjectAroundWhatTheCallerWrites()
    {
        var body = CognitoIdentityProviderClient.Json(writer => writer.WriteString("UserPoolId", "p-1"));

        Assert.Equal("""{"UserPoolId":"p-1"}""", System.Text.Encoding.UTF8.GetString(body));
    }

    [Theory]
    [InlineData("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://localhost:9229", "http://localhost:9229/")]
    [InlineData("AWS_ENDPOINT_URL", "http://localhost:4566", "http://localhost:4566/")]
    [InlineData("UNRELATED", "http://localhost:1", "https://cognito-idp.eu-west-1.amazonaws.com/")]
    public void ResolveEndpoint_Variable_GivesThatEndpoint(string variable, string value, string expected)
    {
        var endpoint = CognitoIdentityProviderClient.ResolveEndpoint("eu-west-1", name => name == variable ? value : null);

        Assert.Equal(new Uri(expected), endpoint);
    }

    [Fact]
    public void Constructor_KeepsTheEndpoint()
    {
        using var http = new HttpClient();

        Assert.Equal(_endpoint, new CognitoIdentityProviderClient(http, _endpoint).Endpoint);
    }

    [Fact]
    public void Constructor_NoHttpClientOrEndpoint_Throws()
    {
        using var http = new HttpClient();

        Assert.Equal("http", Assert.Throws<ArgumentNullException>(() => new CognitoIdentityProviderClient(null!, _endpoint)).ParamName);
        Assert.Equal("endpoint", Assert.Throws<ArgumentNullException>(() => new CognitoIdentityProviderClient(http, null!)).ParamName);
    }

    private static CapturingHttpHandler Answering(string body) =>
        new((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, body, "application/x-amz-json-1.1"));

    private static CognitoIdentityProviderClient Client(CapturingHttpHandler handler) => new(new HttpClient(handler), _endpoint);
}
