using System.Net;
using Amazon.Runtime;
using Fanout.AwsShims.Cognito;
using Fanout.AwsShims.Signing;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.AwsShims.Cognito;

/// <summary>The Cognito admin calls: AWS JSON 1.1 requests (target header, body shape) signed for cognito-idp, and
/// their answers read back.</summary>
[Trait("Category", "Unit")]
public sealed class CognitoAdminClientTests
{
    private static readonly CognitoPasswordPolicy _policy = new(12, true, true, true, false, 3);

    [Fact]
    public async Task CreateUserPoolAsync_PostsTheSignedJson11CallAndReturnsThePoolId()
    {
        var handler = Answering("""{"UserPool":{"Id":"us-east-1_AbC123","Name":"shop"}}""");

        var id = await Client(handler).CreateUserPoolAsync("shop", _policy, TestContext.Current.CancellationToken);

        Assert.Equal("us-east-1_AbC123", id);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal(new Uri("http://localhost:9229/"), sent.Uri);
        Assert.Equal("application/x-amz-json-1.1", sent.Headers["Content-Type"]);
        Assert.Equal("AWSCognitoIdentityProviderService.CreateUserPool", sent.Headers["X-Amz-Target"]);
        Assert.Contains("/us-east-1/cognito-idp/aws4_request", sent.Headers["Authorization"], StringComparison.Ordinal);
        Assert.Contains("x-amz-target", sent.Headers["Authorization"], StringComparison.Ordinal);
        Assert.Equal(
            """{"PoolName":"shop","UsernameAttributes":["email"],"AdminCreateUserConfig":{"AllowAdminCreateUserOnly":true},"Policies":{"PasswordPolicy":{"MinimumLength":12,"RequireUppercase":true,"RequireLowercase":true,"RequireNumbers":true,"RequireSymbols":false,"TemporaryPasswordValidityDays":3}}}""",
            sent.BodyText);
    }

    [Fact]
    public async Task CreateUserPoolClientAsync_PublicClientWithPasswordAuthAndMinuteValidity_ReturnsTheClientId()
    {
        var handler = Answering("""{"UserPoolClient":{"ClientId":"3n4b5urk1ft4fl3mg5e62d9ado","UserPoolId":"p"}}""");

        var id = await Client(handler).CreateUserPoolClientAsync("us-east-1_AbC123", "shop", 60, TestContext.Current.CancellationToken);

        Assert.Equal("3n4b5urk1ft4fl3mg5e62d9ado", id);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal("AWSCognitoIdentityProviderService.CreateUserPoolClient", sent.Headers["X-Amz-Target"]);
        Assert.Equal(
            """{"UserPoolId":"us-east-1_AbC123","ClientName":"shop","GenerateSecret":false,"ExplicitAuthFlows":["ALLOW_USER_SRP_AUTH","ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"],"AccessTokenValidity":60,"IdTokenValidity":60,"TokenValidityUnits":{"AccessToken":"minutes","IdToken":"minutes"},"PreventUserExistenceErrors":"ENABLED"}""",
            sent.BodyText);
    }

    [Fact]
    public async Task CreateUserPoolClientAsync_ZeroMinutes_Throws()
    {
        var handler = Answering("{}");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client(handler).CreateUserPoolClientAsync("p", "shop", 0, TestContext.Current.CancellationToken));
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task CreateGroupAsync_PostsPoolAndGroupName()
    {
        var handler = Answering("""{"Group":{"GroupName":"operators"}}""");

        await Client(handler).CreateGroupAsync("p-1", "operators", TestContext.Current.CancellationToken);

        var sent = Assert.Single(handler.Requests);
        Assert.Equal("AWSCognitoIdentityProviderService.CreateGroup", sent.Headers["X-Amz-Target"]);
        Assert.Equal("""{"UserPoolId":"p-1","GroupName":"operators"}""", sent.BodyText);
    }

    [Fact]
    public async Task AdminCreateUserAsync_SuppressesTheInvitationAndReturnsTheSub()
    {
        var handler = Answering("""{"User":{"Username":"9f0e","Attributes":[{"Name":"email","Value":"a@example.com"},{"Name":"sub","Value":"9f0e-sub"}]}}""");

        var sub = await Client(handler).AdminCreateUserAsync("p-1", "a@example.com", TestContext.Current.CancellationToken);

        Assert.Equal("9f0e-sub", sub);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal("AWSCognitoIdentityProviderService.AdminCreateUser", sent.Headers["X-Amz-Target"]);
        Assert.Equal(
            """{"UserPoolId":"p-1","Username":"a@example.com","MessageAction":"SUPPRESS","UserAttributes":[{"Name":"email","Value":"a@example.com"},{"Name":"email_verified","Value":"true"}]}""",
            sent.BodyText);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"User":{"Username":"u"}}""")]
    [InlineData("""{"User":{"Attributes":[{"Name":"email","Value":"a@example.com"}]}}""")]
    public async Task AdminCreateUserAsync_AnswerWithoutSub_ReturnsNull(string answer)
    {
        var sub = await Client(Answering(answer)).AdminCreateUserAsync("p-1", "a@example.com", TestContext.Current.CancellationToken);

        Assert.Null(sub);
    }

    [Fact]
    public async Task AdminSetUserPasswordAsync_SetsAPermanentPassword()
    {
        var handler = Answering("{}");

        await Client(handler).AdminSetUserPasswordAsync("p-1", "a@example.com", "Pa55-word-long", TestContext.Current.CancellationToken);

        var sent = Assert.Single(handler.Requests);
        Assert.Equal("AWSCognitoIdentityProviderService.AdminSetUserPassword", sent.Headers["X-Amz-Target"]);
        Assert.Equal("""{"UserPoolId":"p-1","Username":"a@example.com","Password":"Pa55-word-long","Permanent":true}""", sent.BodyText);
    }

    [Fact]
    public async Task AdminAddUserToGroupAsync_PostsUserAndGroup()
    {
        var handler = Answering("");

        await Client(handler).AdminAddUserToGroupAsync("p-1", "a@example.com", "operators", TestContext.Current.CancellationToken);

        var sent = Assert.Single(handler.Requests);
        Assert.Equal("AWSCognitoIdentityProviderService.AdminAddUserToGroup", sent.Headers["X-Amz-Target"]);
        Assert.Equal("""{"UserPoolId":"p-1","Username":"a@example.com","GroupName":"operators"}""", sent.BodyText);
    }

    [Fact]
    public async Task AdminSetUserPasswordAsync_PolicyRefusal_ThrowsWithCodeAndMessageWithoutRetrying()
    {
        var handler = new CapturingHttpHandler((_, _) =>
            CapturingHttpHandler.Answer(HttpStatusCode.BadRequest, """{"__type":"com.amazonaws#InvalidPasswordException","message":"Password does not conform to policy"}""", "application/x-amz-json-1.1"));

        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(handler).AdminSetUserPasswordAsync("p-1", "a@example.com", "short", TestContext.Current.CancellationToken));

        Assert.Equal("InvalidPasswordException", error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("Password does not conform to policy", error.Message, StringComparison.Ordinal);
        Assert.Single(handler.Requests);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"UserPool":{}}""")]
    [InlineData("""{"UserPool":{"Id":""}}""")]
    [InlineData("""{"UserPool":{"Id":7}}""")]
    [InlineData("""{"UserPool":"p"}""")]
    public async Task CreateUserPoolAsync_AnswerWithoutAnId_Throws(string answer)
    {
        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(Answering(answer)).CreateUserPoolAsync("shop", _policy, TestContext.Current.CancellationToken));

        Assert.Contains("UserPool.Id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateUserPoolAsync_ServerError_IsNotRetriedBecauseCreatingTwiceMakesTwoPools()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.JsonError(HttpStatusCode.InternalServerError, "InternalErrorException"));

        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(handler).CreateUserPoolAsync("shop", _policy, TestContext.Current.CancellationToken));

        Assert.Equal("InternalErrorException", error.ErrorCode);
        Assert.Single(handler.Requests);
    }

    public static TheoryData<string, string> BlankArguments => new()
    {
        { "CreateUserPool", "poolName" },
        { "CreateUserPoolClient.userPoolId", "userPoolId" },
        { "CreateUserPoolClient.clientName", "clientName" },
        { "CreateGroup.userPoolId", "userPoolId" },
        { "CreateGroup.groupName", "groupName" },
        { "AdminCreateUser.userPoolId", "userPoolId" },
        { "AdminCreateUser.email", "email" },
        { "AdminSetUserPassword.userPoolId", "userPoolId" },
        { "AdminSetUserPassword.username", "username" },
        { "AdminSetUserPassword.password", "password" },
        { "AdminAddUserToGroup.userPoolId", "userPoolId" },
        { "AdminAddUserToGroup.username", "username" },
        { "AdminAddUserToGroup.groupName", "groupName" },
    };

    [Theory]
    [MemberData(nameof(BlankArguments))]
    public async Task Call_BlankArgument_ThrowsNamingItWithoutCalling(string call, string parameter)
    {
        var handler = Answering("""{"UserPool":{"Id":"p"},"UserPoolClient":{"ClientId":"c"}}""");
        var client = Client(handler);
        var ct = TestContext.Current.CancellationToken;
        // Blank for the names and ids (null-or-white-space rules); empty for the password (null-or-empty rule).
        string Arg(string name) => name == parameter ? (name == "password" ? "" : " ") : "ok-" + name;
        Func<Task> act = call.Split('.')[0] switch
        {
            "CreateUserPool" => () => client.CreateUserPoolAsync(Arg("poolName"), _policy, ct),
            "CreateUserPoolClient" => () => client.CreateUserPoolClientAsync(Arg("userPoolId"), Arg("clientName"), 60, ct),
            "CreateGroup" => () => client.CreateGroupAsync(Arg("userPoolId"), Arg("groupName"), ct),
            "AdminCreateUser" => () => client.AdminCreateUserAsync(Arg("userPoolId"), Arg("email"), ct),
            "AdminSetUserPassword" => () => client.AdminSetUserPasswordAsync(Arg("userPoolId"), Arg("username"), Arg("password"), ct),
            _ => () => client.AdminAddUserToGroupAsync(Arg("userPoolId"), Arg("username"), Arg("groupName"), ct),
        };

        var error = await Assert.ThrowsAsync<ArgumentException>(act);

        Assert.Equal(parameter, error.ParamName);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task CreateUserPoolAsync_NoPasswordPolicy_ThrowsWithoutCalling()
    {
        var handler = Answering("""{"UserPool":{"Id":"p"}}""");

        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => Client(handler).CreateUserPoolAsync("shop", null!, TestContext.Current.CancellationToken));

        Assert.Equal("passwordPolicy", error.ParamName);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public void Constructor_NoHttpClient_Throws()
    {
        Assert.Equal("aws", Assert.Throws<ArgumentNullException>(() => new CognitoAdminClient(null!)).ParamName);
    }

    private static CapturingHttpHandler Answering(string body) =>
        new((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, body, "application/x-amz-json-1.1"));

    private static CognitoAdminClient Client(CapturingHttpHandler handler) =>
        new(new SignedAwsHttpClient(
            new HttpClient(handler),
            new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            "us-east-1",
            CognitoAdminClient.SigningService,
            new Uri("http://localhost:9229/"),
            TestClock.Create()));
}
