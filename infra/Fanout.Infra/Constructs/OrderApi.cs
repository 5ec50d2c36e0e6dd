using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AwsApigatewayv2Integrations;
using Constructs;
using HttpMethod = Amazon.CDK.AWS.Apigatewayv2.HttpMethod;

namespace Fanout.Infra.Constructs;

public sealed class OrderApiProps
{
    /// <summary>The OrderIntake function, which serves both routes.</summary>
    public required IFunction Handler { get; init; }

    /// <summary>Steady-state requests per second across the API.</summary>
    public required double ThrottleRate { get; init; }

    public required int ThrottleBurst { get; init; }

    public required RetentionDays LogRetention { get; init; }
}

/// <summary>The public HTTP API: <c>POST /orders</c> and <c>GET /orders/{id}</c> on OrderIntake (payload 2.0),
/// throttled at the default stage so a flood cannot run up the bill or starve the consumers, with JSON access logs.</summary>
public sealed class OrderApi : Construct
{
    /// <summary>HTTP API access-log variables, one JSON object per request.</summary>
    internal const string AccessLogFormat =
        "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"requestTime\":\"$context.requestTime\"," +
        "\"httpMethod\":\"$context.httpMethod\",\"routeKey\":\"$context.routeKey\",\"path\":\"$context.path\",\"status\":\"$context.status\"," +
        "\"protocol\":\"$context.protocol\",\"responseLength\":\"$context.responseLength\",\"responseLatency\":\"$context.responseLatency\"," +
        "\"integrationLatency\":\"$context.integrationLatency\",\"integrationError\":\"$context.integrationErrorMessage\"," +
        "\"error\":\"$context.error.message\"}";

    public OrderApi(Construct scope, string id, OrderApiProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Handler);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(props.ThrottleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(props.ThrottleBurst);

        // The default stage is made below, not by HttpApi, because it carries the throttling and access logs.
        Api = new HttpApi(this, "Api", new HttpApiProps
        {
            ApiName = Stack.Of(this).StackName + "-orders",
            Description = "Fanout order intake",
            CreateDefaultStage = false,
        });

        var intake = new HttpLambdaIntegration("OrderIntake", props.Handler, new HttpLambdaIntegrationProps
        {
            PayloadFormatVersion = PayloadFormatVersion.VERSION_2_0,
        });
        Api.AddRoutes(new AddRoutesOptions { Path = "/orders", Methods = [HttpMethod.POST], Integration = intake });
        Api.AddRoutes(new AddRoutesOptions { Path = "/orders/{id}", Methods = [HttpMethod.GET], Integration = intake });

        AccessLogs = new LogGroup(this, "AccessLogs", new LogGroupProps
        {
            Retention = props.LogRetention,
            RemovalPolicy = RemovalPolicy.DESTROY,
        });

        Stage = new HttpStage(this, "DefaultStage", new HttpStageProps
        {
            HttpApi = Api,
            StageName = "$default",
            AutoDeploy = true,
            Throttle = new ThrottleSettings { RateLimit = props.ThrottleRate, BurstLimit = props.ThrottleBurst },
        });

        // HttpStage in Amazon.CDK.Lib 2.160 has no access-log option; the CloudFormation property does.
        var cfnStage = (CfnStage)Stage.Node.DefaultChild!;
        cfnStage.AccessLogSettings = new CfnStage.AccessLogSettingsProperty
        {
            // The log group's own ARN, without the ":*" stream wildcard that LogGroupArn carries.
            DestinationArn = Stack.Of(this).FormatArn(new ArnComponents
            {
                Service = "logs",
                Resource = "log-group",
                ResourceName = AccessLogs.LogGroupName,
                ArnFormat = ArnFormat.COLON_RESOURCE_NAME,
            }),
            Format = AccessLogFormat,
        };
    }

    public HttpApi Api { get; }

    public HttpStage Stage { get; }

    public LogGroup AccessLogs { get; }

    /// <summary>The base URL clients call, e.g. <c>https://abc123.execute-api.eu-west-1.amazonaws.com/</c>.</summary>
    public string Url => Stage.Url;
}
