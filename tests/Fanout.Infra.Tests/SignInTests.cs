using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>Who may call the API: the JWT authorizer on every route, the stack's Cognito user pool and app client
/// behind it, or an issuer brought through CDK context.</summary>
[Trait("Category", "Infra")]
public sealed class SignInTests
{
    private const string OwnIssuer = "https://login.example.com/";

    private static SynthesizedStack Stack => SynthesizedStack.Default;

    private static readonly Lazy<SynthesizedStack> OwnIssuerStack = new(() => SynthesizedStack.Synthesize(new Dictionary<string, object>
    {
        [StackSettings.Keys.JwtIssuer] = OwnIssuer,
        [StackSettings.Keys.JwtAudience] = "shop-web, shop-app",
    }));

    public static TheoryData<bool> BothIssuers() => new(false, true);

    [Theory]
    [MemberData(nameof(BothIssuers))]
    public void Routes_Synth_EveryRouteRequiresTheJwtAuthorizer(bool bringsOwnIssuer)
    {
        var stack = bringsOwnIssuer ? OwnIssuerStack.Value : Stack;
        var authorizerId = Assert.Single(stack.Resources("AWS::ApiGatewayV2::Authorizer")).LogicalId;
        var routes = stack.Resources("AWS::ApiGatewayV2::Route").Select(r => r.Resource.GetProperty("Properties")).ToList();

        Assert.Equal(OrderApiTopology.Routes.Select(r => r.RouteKey).Order(), routes.Select(r => r.GetProperty("RouteKey").GetString()).Order());
        Assert.All(routes, route =>
        {
            var spec = OrderApiTopology.Routes.Single(r => r.RouteKey == route.GetProperty("RouteKey").GetString());
            Assert.Equal("JWT", route.GetProperty("AuthorizationType").GetString());
            Assert.Equal(authorizerId, Cfn.Target(route.GetProperty("AuthorizerId")));
            // API Gateway reads an absent list as "no scope required"; CDK omits an empty one.
            var scopes = route.TryGetProperty("AuthorizationScopes", out var s) ? s.EnumerateArray().Select(e => e.GetString()!).ToList() : [];
            Assert.Equal(spec.AuthorizationScopes, scopes);
        });
    }

    [Fact]
    public void Authorizer_DefaultContext_TrustsTheUserPoolForItsAppClient()
    {
        var (poolId, _) = Stack.AtPath(Paths.UserPool);
        var (clientId, _) = Stack.AtPath(Paths.UserPoolClient);
        var authorizer = Assert.Single(Stack.Resources("AWS::ApiGatewayV2::Authorizer")).Resource.GetProperty("Properties");

        Assert.Equal("JWT", authorizer.GetProperty("AuthorizerType").GetString());
        Assert.Equal([OrderApiTopology.IdentitySource], authorizer.GetProperty("IdentitySource").EnumerateArray().Select(e => e.GetString()));
        AssertJson($$"""[{"Ref":"{{clientId}}"}]""", authorizer.GetProperty("JwtConfiguration").GetProperty("Audience"));
        AssertJson(
            $$"""{"Fn::Join":["",["https://cognito-idp.",{"Ref":"AWS::Region"},".",{"Ref":"AWS::URLSuffix"},"/",{"Ref":"{{poolId}}"}]]}""",
            authorizer.GetProperty("JwtConfiguration").GetProperty("Issuer"));
    }

    [Fact]
    public void UserPool_Synth_SignsInByEmailInviteOnlyWithAStrongPasswordPolicy()
    {
        var properties = Stack.AtPath(Paths.UserPool).Resource.GetProperty("Properties");

        AssertJson("""["email"]""", properties.GetProperty("UsernameAttributes"));
        AssertJson("""{"CaseSensitive":false}""", properties.GetProperty("UsernameConfiguration"));
        Assert.True(properties.GetProperty("AdminCreateUserConfig").GetProperty("AllowAdminCreateUserOnly").GetBoolean());
        AssertJson("""["email"]""", properties.GetProperty("AutoVerifiedAttributes"));
        AssertJson("""[{"Mutable":true,"Name":"email","Required":true}]""", properties.GetProperty("Schema"));
        AssertJson("""{"AttributesRequireVerificationBeforeUpdate":["email"]}""", properties.GetProperty("UserAttributeUpdateSettings"));
        AssertJson(
            """{"MinimumLength":12,"RequireLowercase":true,"RequireUppercase":true,"RequireNumbers":true,"RequireSymbols":true,"TemporaryPasswordValidityDays":3}""",
            properties.GetProperty("Policies").GetProperty("PasswordPolicy"));
    }

    [Fact]
    public void UserPool_Synth_OffersTotpMfaAndRecoversByEmailOnly()
    {
        var properties = Stack.AtPath(Paths.UserPool).Resource.GetProperty("Properties");

        Assert.Equal("OPTIONAL", properties.GetProperty("MfaConfiguration").GetString());
        AssertJson("""["SOFTWARE_TOKEN_MFA"]""", properties.GetProperty("EnabledMfas"));
        AssertJson("""{"RecoveryMechanisms":[{"Name":"verified_email","Priority":1}]}""", properties.GetProperty("AccountRecoverySetting"));
        Assert.False(properties.TryGetProperty("SmsConfiguration", out _));
        // No SMS codes, so no role letting Cognito send them.
        Assert.DoesNotContain(Stack.Resources("AWS::IAM::Role"), r => r.LogicalId.StartsWith("SignIn", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, "Retain", "ACTIVE")]
    [InlineData(true, "Delete", "INACTIVE")]
    public void UserPool_DestroyTables_FollowsTheTablesRemovalPolicy(bool destroyTables, string deletionPolicy, string deletionProtection)
    {
        var stack = destroyTables ? SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.DestroyTables] = true }) : Stack;
        var pool = stack.AtPath(Paths.UserPool).Resource;

        Assert.Equal(deletionPolicy, pool.GetProperty("DeletionPolicy").GetString());
        Assert.Equal(deletionPolicy, pool.GetProperty("UpdateReplacePolicy").GetString());
        Assert.Equal(deletionProtection, pool.GetProperty("Properties").GetProperty("DeletionProtection").GetString());
    }

    [Fact]
    public void AppClient_Synth_IsAPublicClientWithOneHourTokensAndRevocation()
    {
        var (poolId, _) = Stack.AtPath(Paths.UserPool);
        var properties = Stack.AtPath(Paths.UserPoolClient).Resource.GetProperty("Properties");

        Assert.Equal(poolId, Cfn.Target(properties.GetProperty("UserPoolId")));
        Assert.False(properties.GetProperty("GenerateSecret").GetBoolean());
        Assert.Equal(
            ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"],
            properties.GetProperty("ExplicitAuthFlows").EnumerateArray().Select(e => e.GetString()).Order());
        Assert.Equal(OrderApiTopology.AccessTokenValidityMinutes, properties.GetProperty("AccessTokenValidity").GetInt32());
        Assert.Equal(OrderApiTopology.AccessTokenValidityMinutes, properties.GetProperty("IdTokenValidity").GetInt32());
        Assert.Equal(30 * 24 * 60, properties.GetProperty("RefreshTokenValidity").GetInt32());
        AssertJson("""{"AccessToken":"minutes","IdToken":"minutes","RefreshToken":"minutes"}""", properties.GetProperty("TokenValidityUnits"));
        Assert.True(properties.GetProperty("EnableTokenRevocation").GetBoolean());
        Assert.Equal("ENABLED", properties.GetProperty("PreventUserExistenceErrors").GetString());
        Assert.False(properties.GetProperty("AllowedOAuthFlowsUserPoolClient").GetBoolean());
        Assert.False(properties.TryGetProperty("AllowedOAuthFlows", out _));
        Assert.False(properties.TryGetProperty("CallbackURLs", out _));
    }

    [Fact]
    public void OperatorsGroup_Synth_BelongsToThePool()
    {
        var (poolId, _) = Stack.AtPath(Paths.UserPool);
        var group = Assert.Single(Stack.Resources("AWS::Cognito::UserPoolGroup")).Resource.GetProperty("Properties");

        Assert.Equal(OrderApiTopology.OperatorsGroup, group.GetProperty("GroupName").GetString());
        Assert.Equal(poolId, Cfn.Target(group.GetProperty("UserPoolId")));
    }

    [Fact]
    public void Outputs_DefaultContext_NameThePoolTheClientAndTheAuthorizersIssuer()
    {
        var (poolId, _) = Stack.AtPath(Paths.UserPool);
        var (clientId, _) = Stack.AtPath(Paths.UserPoolClient);
        var outputs = Stack.Root.GetProperty("Outputs");
        var issuer = Assert.Single(Stack.Resources("AWS::ApiGatewayV2::Authorizer")).Resource
            .GetProperty("Properties").GetProperty("JwtConfiguration").GetProperty("Issuer");

        AssertJson($$"""{"Ref":"{{poolId}}"}""", outputs.GetProperty(StackOutputNames.UserPoolId).GetProperty("Value"));
        AssertJson($$"""{"Ref":"{{clientId}}"}""", outputs.GetProperty(StackOutputNames.UserPoolClientId).GetProperty("Value"));
        AssertJson(issuer.GetRawText(), outputs.GetProperty(StackOutputNames.JwtIssuer).GetProperty("Value"));
    }

    [Fact]
    public void OwnIssuer_FromContext_ReplacesThePoolAndSetsIssuerAndAudience()
    {
        var stack = OwnIssuerStack.Value;
        var authorizer = Assert.Single(stack.Resources("AWS::ApiGatewayV2::Authorizer")).Resource.GetProperty("Properties");
        var outputs = stack.Root.GetProperty("Outputs");

        Assert.DoesNotContain(stack.Root.GetProperty("Resources").EnumerateObject(), r => r.Value.GetProperty("Type").GetString()!.StartsWith("AWS::Cognito::", StringComparison.Ordinal));
        AssertJson($$"""{"Audience":["shop-web","shop-app"],"Issuer":"{{OwnIssuer}}"}""", authorizer.GetProperty("JwtConfiguration"));
        Assert.Equal(OwnIssuer, outputs.GetProperty(StackOutputNames.JwtIssuer).GetProperty("Value").GetString());
        Assert.False(outputs.TryGetProperty(StackOutputNames.UserPoolId, out _));
        Assert.False(outputs.TryGetProperty(StackOutputNames.UserPoolClientId, out _));
    }

    [Fact]
    public void OwnIssuer_AudienceAsJsonArray_ListsEveryAudience()
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object>
        {
            [StackSettings.Keys.JwtIssuer] = OwnIssuer,
            [StackSettings.Keys.JwtAudience] = new object[] { "api://orders", "shop-web" },
        });
        var configuration = Assert.Single(stack.Resources("AWS::ApiGatewayV2::Authorizer")).Resource
            .GetProperty("Properties").GetProperty("JwtConfiguration");

        AssertJson("""["api://orders","shop-web"]""", configuration.GetProperty("Audience"));
    }

    internal static void AssertJson(string expected, JsonElement actual) =>
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual.GetRawText())),
            $"Expected {expected}{Environment.NewLine}but got  {actual.GetRawText()}");
}
