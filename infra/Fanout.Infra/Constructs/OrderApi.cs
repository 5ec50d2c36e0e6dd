using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AwsApigatewayv2Authorizers;
using Amazon.CDK.AwsApigatewayv2Integrations;
using Constructs;
using Fanout.Contracts.Topology;
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

    /// <summary>The https URL that must equal a token's <c>iss</c> claim (the stack's user pool, or the one from
    /// CDK context <c>jwtIssuer</c>).</summary>
    public required string JwtIssuer { get; init; }

    /// <summary>The values of which a token's <c>aud</c> (or, lacking one, <c>client_id</c>) must match one.</summary>
    public required IReadOnlyList<string> JwtAudience { get; init; }

    /// <summary>Browser origins allowed by CORS; empty configures no CORS.</summary>
    public IReadOnlyList<string> CorsAllowedOrigins { get; init; } = [];
}

/// <summary>The public HTTP API: every route of <see cref="OrderApiTopology.Routes"/> on OrderIntake (payload 2.0), each
/// behind one JWT authorizer (AWS: "Controlling access to HTTP APIs with JWT authorizers"), throttled at the default
/// stage so a flood cannot run up the bill or starve the consumers, with JSON access logs.</summary>
public sealed class OrderApi : Construct
{
    /// <summary>HTTP API access-log variables, one JSON object per request.</summary>
    internal const string AccessLogFormat =
        "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"requestTime\":\"$context.requestTime\"," +
        "\"httpMethod\":\"$context.httpMethod\",\"routeKey\":\"$context.routeKey\",\"path\":\"$context.path\",\"status\":\"$context.status\"," +
        "\"protocol\":\"$context.protocol\",\"responseLength\":\"$context.responseLength\",\"responseLatency\":\"$context.responseLatency\"," +
        "\"integrationLatency\":\"$context.integrationLatency\",\"integrationError\":\"$context.integrationErrorMessage\"," +
        "\"error\":\"$context.error.message\"}";

    /// <summary>Request headers a browser may send: the token, the body's type and the API's own headers.</summary>
    internal static readonly string[] CorsAllowHeaders = ["Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-Id"];

    /// <summary>Response headers script may read: where the order is, the correlation id, replay and back-off hints.</summary>
    internal static readonly string[] CorsExposeHeaders = ["Location", "X-Correlation-Id", "Idempotent-Replayed", "Retry-After"];

    /// <summary>How long a browser may reuse a preflight answer; Chromium caps it at 2 hours anyway.</summary>
    internal const int CorsMaxAgeSeconds = 3600;

    public OrderApi(Construct scope, string id, OrderApiProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Handler);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(props.ThrottleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(props.ThrottleBurst);
        ArgumentException.ThrowIfNullOrWhiteSpace(props.JwtIssuer);
        ArgumentNullException.ThrowIfNull(props.JwtAudience);
        if (props.JwtAudience.Count == 0)
        {
            throw new ArgumentException("A JWT authorizer needs at least one audience.", nameof(props));
        }

        // One authorizer for the whole API, as its default: a route added later cannot be left open by forgetting it.
        Authorizer = new HttpJwtAuthorizer("Jwt", props.JwtIssuer, new HttpJwtAuthorizerProps
        {
            AuthorizerName = "jwt",
            IdentitySource = [OrderApiTopology.IdentitySource],
            JwtAudience = props.JwtAudience.ToArray(),
        });

        // The default stage is made below, not by HttpApi, because it carries the throttling and access logs.
        Api = new HttpApi(this, "Api", new HttpApiProps
        {
            ApiName = Stack.Of(this).StackName + "-orders",
            Description = "Fanout order intake",
            CreateDefaultStage = false,
            DefaultAuthorizer = Authorizer,
            // API Gateway answers preflight requests itself, before the authorizer (a browser sends no token with one).
            CorsPreflight = props.CorsAllowedOrigins.Count == 0 ? null : new CorsPreflightOptions
            {
                AllowOrigins = props.CorsAllowedOrigins.ToArray(),
                AllowMethods = [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
                AllowHeaders = CorsAllowHeaders,
                ExposeHeaders = CorsExposeHeaders,
                MaxAge = Duration.Seconds(CorsMaxAgeSeconds),
                // The token travels in a header, never in a cookie: nothing for credentialed requests to carry.
                AllowCredentials = false,
            },
        });

        var intake = new HttpLambdaIntegration("OrderIntake", props.Handler, new HttpLambdaIntegrationProps
        {
            PayloadFormatVersion = PayloadFormatVersion.VERSION_2_0,
        });
        foreach (var route in OrderApiTopology.Routes)
        {
            Api.AddRoutes(new AddRoutesOptions
            {
                Path = route.Path,
                Methods = [Enum.Parse<HttpMethod>(route.Method)],
                Integration = intake,
                AuthorizationScopes = route.AuthorizationScopes.ToArray(),
            });
        }

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

    public HttpJwtAuthorizer Authorizer { get; }

    public HttpStage Stage { get; }

    public LogGroup AccessLogs { get; }

    /// <summary>The base URL clients call, e.g. <c>https://abc123.execute-api.eu-west-1.amazonaws.com/</c>.</summary>
    public string Url => Stage.Url;
}
