using System.Text.Json;
using Amazon.CDK.Assertions;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

[Trait("Category", "Infra")]
public sealed class OrderApiTests
{
    private static SynthesizedStack Stack => SynthesizedStack.Default;

    [Fact]
    public void Api_Synth_RoutesPlaceGetAndCancelToOrderIntakeWithPayload2()
    {
        var (intakeId, _) = Stack.AtPath(Paths.LambdaFunction(FanoutTopology.OrderIntake.Name));
        var integrations = Stack.Resources("AWS::ApiGatewayV2::Integration");

        var integration = Assert.Single(integrations).Resource.GetProperty("Properties");
        Assert.Equal("AWS_PROXY", integration.GetProperty("IntegrationType").GetString());
        Assert.Equal("2.0", integration.GetProperty("PayloadFormatVersion").GetString());
        Assert.Equal(intakeId, Cfn.Target(integration.GetProperty("IntegrationUri")));
        var routes = Stack.Resources("AWS::ApiGatewayV2::Route").Select(r => r.Resource.GetProperty("Properties").GetProperty("RouteKey").GetString()).Order();
        Assert.Equal(["GET /orders/{id}", "POST /orders", "POST /orders/{id}/cancel"], routes);
        Stack.Template.HasResourceProperties("AWS::ApiGatewayV2::Api", Match.ObjectLike(new Dictionary<string, object> { ["ProtocolType"] = "HTTP" }));
    }

    [Fact]
    public void Api_Synth_LetsApiGatewayInvokeOrderIntakeForEveryRoute()
    {
        var (intakeId, _) = Stack.AtPath(Paths.LambdaFunction(FanoutTopology.OrderIntake.Name));
        var permissions = Stack.Resources("AWS::Lambda::Permission").Select(p => p.Resource.GetProperty("Properties")).ToList();

        // One per route; the reconciler's schedule invokes through its own role, with no resource permission.
        Assert.Equal(3, permissions.Count);
        Assert.Equal(OrderApiTopology.Routes.Count, permissions.Count);
        Assert.All(permissions, p =>
        {
            Assert.Equal("apigateway.amazonaws.com", p.GetProperty("Principal").GetString());
            Assert.Equal(intakeId, Cfn.Target(p.GetProperty("FunctionName")));
        });
    }

    [Fact]
    public void DefaultStage_ThrottleFromContext_LimitsRateAndBurst()
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object>
        {
            [StackSettings.Keys.ApiThrottleRate] = "12.5",
            [StackSettings.Keys.ApiThrottleBurst] = 34,
        });

        var stage = stack.AtPath(Paths.Stage).Resource.GetProperty("Properties");
        Assert.Equal("$default", stage.GetProperty("StageName").GetString());
        Assert.True(stage.GetProperty("AutoDeploy").GetBoolean());
        Assert.Equal(12.5, stage.GetProperty("DefaultRouteSettings").GetProperty("ThrottlingRateLimit").GetDouble());
        Assert.Equal(34, stage.GetProperty("DefaultRouteSettings").GetProperty("ThrottlingBurstLimit").GetInt32());
    }

    [Fact]
    public void DefaultStage_DefaultContext_UsesCdkJsonThrottling()
    {
        var context = SynthesizedStack.CdkJsonContext();
        var stage = Stack.AtPath(Paths.Stage).Resource.GetProperty("Properties").GetProperty("DefaultRouteSettings");

        Assert.Equal((double)context[StackSettings.Keys.ApiThrottleRate], stage.GetProperty("ThrottlingRateLimit").GetDouble());
        Assert.Equal((double)context[StackSettings.Keys.ApiThrottleBurst], stage.GetProperty("ThrottlingBurstLimit").GetDouble());
    }

    [Fact]
    public void DefaultStage_Synth_WritesJsonAccessLogsToItsLogGroup()
    {
        var (logGroupId, _) = Stack.AtPath("OrderApi/AccessLogs/Resource");
        var settings = Stack.AtPath(Paths.Stage).Resource.GetProperty("Properties").GetProperty("AccessLogSettings");

        using var format = JsonDocument.Parse(settings.GetProperty("Format").GetString()!);
        Assert.Equal("$context.requestId", format.RootElement.GetProperty("requestId").GetString());
        Assert.Equal("$context.status", format.RootElement.GetProperty("status").GetString());
        Assert.Contains(logGroupId, Cfn.TargetsWithin(settings.GetProperty("DestinationArn")));
    }

    [Fact]
    public void ApiUrl_Synth_IsTheDefaultStageUrl()
    {
        var (apiId, _) = Stack.AtPath(Paths.Api);
        var url = Stack.Root.GetProperty("Outputs").GetProperty("ApiUrl").GetProperty("Value");

        Assert.Contains(apiId, Cfn.TargetsWithin(url));
        Assert.StartsWith("https://", url.GetProperty("Fn::Join")[1][0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Cors_DefaultContext_IsNotConfigured()
    {
        var api = Stack.AtPath(Paths.Api).Resource.GetProperty("Properties");

        Assert.False(api.TryGetProperty("CorsConfiguration", out _));
        Assert.DoesNotContain(Stack.Resources("AWS::ApiGatewayV2::Route"), r => r.Resource.GetProperty("Properties").GetProperty("RouteKey").GetString()!.StartsWith("OPTIONS", StringComparison.Ordinal));
    }

    [Fact]
    public void Cors_OriginsFromContext_AllowsThoseOriginsWithTheApisHeaders()
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object>
        {
            [StackSettings.Keys.CorsAllowedOrigins] = "https://shop.example.com,http://localhost:5173",
        });

        var cors = stack.AtPath(Paths.Api).Resource.GetProperty("Properties").GetProperty("CorsConfiguration");

        SignInTests.AssertJson(
            """
            {
              "AllowCredentials": false,
              "AllowHeaders": ["Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-Id"],
              "AllowMethods": ["GET", "POST", "OPTIONS"],
              "AllowOrigins": ["https://shop.example.com", "http://localhost:5173"],
              "ExposeHeaders": ["Location", "X-Correlation-Id", "Idempotent-Replayed", "Retry-After"],
              "MaxAge": 3600
            }
            """,
            cors);
        // Preflights are answered by API Gateway itself; every route still carries the authorizer.
        Assert.All(stack.Resources("AWS::ApiGatewayV2::Route"), r => Assert.Equal("JWT", r.Resource.GetProperty("Properties").GetProperty("AuthorizationType").GetString()));
    }
}
