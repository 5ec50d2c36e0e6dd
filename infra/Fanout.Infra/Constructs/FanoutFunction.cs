using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.SNS;
using Constructs;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Constructs;

public sealed class FanoutFunctionProps
{
    public required FunctionSpec Spec { get; init; }

    /// <summary>The service name on the function's log lines.</summary>
    public required string ServiceName { get; init; }

    public required ITable Table { get; init; }

    /// <summary>The order-events topic; the function may publish to it only when its spec says it publishes.</summary>
    public required ITopic OrderEvents { get; init; }

    public required IKey Key { get; init; }

    public required StackSettings Settings { get; init; }

    /// <summary>Settings only some functions read (e.g. the idempotency TTL of a consumer).</summary>
    public IReadOnlyDictionary<string, string> ExtraEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The statements that grant the function's table operations (<see cref="TableItemScopes.For"/>); each may
    /// limit the items to partition keys matching IAM string patterns (<c>*</c> and <c>?</c> wildcards), e.g.
    /// <c>ORDER#*</c>, enforced with the <c>dynamodb:LeadingKeys</c> condition key (AWS: "Using IAM policy conditions
    /// for fine-grained access control"). Null grants every declared operation on every item of the table.</summary>
    public IReadOnlyList<TableGrant>? TableGrants { get; init; }
}

/// <summary>A Fanout Lambda function: the Native AOT <c>bootstrap</c> on provided.al2023, its own log group with
/// a retention, X-Ray active tracing, and a role that holds only what this function's code does (nothing is granted
/// by default; the X-Ray write actions, which take no resource, are the one exception).</summary>
public sealed class FanoutFunction : Construct
{
    public FanoutFunction(Construct scope, string id, FanoutFunctionProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(props.ServiceName);
        ArgumentNullException.ThrowIfNull(props.Table);
        ArgumentNullException.ThrowIfNull(props.OrderEvents);
        ArgumentNullException.ThrowIfNull(props.Key);
        ArgumentNullException.ThrowIfNull(props.Settings);
        var spec = props.Spec;
        var settings = props.Settings;
        if (spec.TableOperations.Count == 0)
        {
            throw new TopologyException($"Function '{spec.Name}' declares no TableOperations; list the DynamoDB calls its code makes.");
        }

        Spec = spec;
        ServiceName = props.ServiceName;
        var bundle = FunctionBundle.Locate(settings.FunctionAssetsDir, spec, settings.Architecture);

        LogGroup = new LogGroup(this, "Logs", new LogGroupProps
        {
            Retention = settings.LogRetention,
            // Logs are diagnostics, not records; a retained, CloudFormation-orphaned group would only keep costing.
            RemovalPolicy = RemovalPolicy.DESTROY,
        });

        // An explicit role instead of CDK's default, which attaches the AWS-managed AWSLambdaBasicExecutionRole
        // (logs on every log group in the account).
        Role = new Role(this, "Role", new RoleProps
        {
            AssumedBy = new ServicePrincipal("lambda.amazonaws.com"),
            Description = $"Fanout {spec.Name} function: its own table, log group{(spec.Publishes ? " and publishing to order-events" : "")}.",
        });
        // LogGroupArn ends in ":*": the group's log streams, which Lambda names at run time, so they can only be
        // granted by pattern. The pattern stops at this one group.
        Allow("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [LogGroup.LogGroupArn]);
        var grants = props.TableGrants ?? [new TableGrant("UseOwnTable", spec.TableOperations)];
        TableItemScopes.Validate(spec, grants);
        foreach (var grant in grants)
        {
            Allow(
                grant.Sid,
                grant.Operations.Select(op => "dynamodb:" + op).ToArray(),
                [grant.IndexName is { } index ? $"{props.Table.TableArn}/index/{index}" : props.Table.TableArn],
                grant.ItemKeyPatterns is { } patterns ? LeadingKeysCondition(patterns) : null);
        }

        var environment = new Dictionary<string, string>
        {
            [SettingNames.TableName] = props.Table.TableName,
            [SettingNames.ServiceName] = props.ServiceName,
            [SettingNames.LogLevel] = settings.LogLevel,
        };

        if (spec.Publishes)
        {
            environment[SettingNames.TopicArn] = props.OrderEvents.TopicArn;
            Allow("PublishOrderEvents", ["sns:Publish"], [props.OrderEvents.TopicArn]);
            // SNS encrypts what it stores under the topic's key on the publisher's behalf.
            Allow("EncryptForOrderEvents", ["kms:GenerateDataKey", "kms:Decrypt"], [props.Key.KeyArn]);
        }

        AddChannel(spec.Channel, settings, environment);
        foreach (var (name, value) in props.ExtraEnvironment)
        {
            environment[name] = value;
        }

        Function = new Function(this, "Function", new FunctionProps
        {
            Description = $"Fanout {spec.Name} ({props.ServiceName} service)",
            Runtime = Runtime.PROVIDED_AL2023,
            Architecture = settings.LambdaArchitecture,
            // provided.al2023 runs the file named bootstrap; Handler is required by the API but unused.
            Handler = "bootstrap",
            Code = Code.FromAsset(bundle),
            MemorySize = spec.MemoryMb,
            Timeout = Duration.Seconds(spec.TimeoutSeconds),
            Role = Role,
            LogGroup = LogGroup,
            Environment = environment,
            // X-Ray active tracing: Lambda samples and records each invocation, and the trace header the function
            // passes to SNS (X-Amzn-Trace-Id) links publish → topic → queue → consumer. CDK adds the one statement
            // this needs (xray:PutTraceSegments and xray:PutTelemetryRecords on "*": these actions have no resource
            // type, AWS X-Ray Developer Guide, "Identity and access management for AWS X-Ray").
            Tracing = Tracing.ACTIVE,
        });
    }

    public FunctionSpec Spec { get; }

    /// <summary>The <c>Service</c> the function logs and writes its metrics under.</summary>
    public string ServiceName { get; }

    public Function Function { get; }

    public Role Role { get; }

    public LogGroup LogGroup { get; }

    /// <summary>Adds a named statement to the function's own policy.</summary>
    public void Allow(string sid, string[] actions, string[] resources, IDictionary<string, object>? conditions = null) =>
        Role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = sid,
            Actions = actions,
            Resources = resources,
            Conditions = conditions,
        }));

    /// <summary>Every ARN SNS has (topics, platform applications and endpoints), in any region and account.</summary>
    internal static string NoSnsResource(Stack stack) => $"arn:{stack.Partition}:sns:*:*:*";

    /// <summary>Every partition key the request touches must match one of the patterns. The Null test matters:
    /// ForAllValues is true of an empty set, so a request carrying no partition key (a Scan) would otherwise pass.</summary>
    private static Dictionary<string, object> LeadingKeysCondition(IReadOnlyList<string> patterns)
    {
        if (patterns.Count == 0 || patterns.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("Item key patterns, when given, must be non-empty strings.", nameof(patterns));
        }

        return new Dictionary<string, object>
        {
            ["ForAllValues:StringLike"] = new Dictionary<string, object> { ["dynamodb:LeadingKeys"] = patterns.ToArray() },
            ["Null"] = new Dictionary<string, object> { ["dynamodb:LeadingKeys"] = "false" },
        };
    }

    /// <summary>The recording senders need nothing beyond the table; real senders need their service.</summary>
    private void AddChannel(OutboundChannel channel, StackSettings settings, Dictionary<string, string> environment)
    {
        switch (channel)
        {
            case OutboundChannel.Sms:
                environment[SettingNames.SmsSender] = settings.SmsSender;
                if (settings.SmsSender == StackSettings.Senders.Sns)
                {
                    // SNS Publish straight to a phone number has no resource ARN to name, so it can only be allowed
                    // as "everything but SNS's own resources": NotResource excludes every topic and platform
                    // endpoint in any region and account, leaving phone numbers. (A Deny on topic ARNs would also
                    // block the outcomes this function publishes to order-events, which its own statement allows.)
                    // Granted only when the real SMS sender is chosen.
                    Role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
                    {
                        Sid = "SendSmsToPhoneNumbersOnly",
                        Actions = ["sns:Publish"],
                        NotResources = [NoSnsResource(Stack.Of(this))],
                    }));
                }

                break;

            case OutboundChannel.Email:
                environment[SettingNames.EmailSender] = settings.EmailSender;
                if (settings.EmailSender == StackSettings.Senders.Ses)
                {
                    var from = settings.EmailFromAddress!;
                    environment[SettingNames.EmailFromAddress] = from;
                    var stack = Stack.Of(this);
                    // SES authorises against the identity that verifies the sender: the address itself or its domain.
                    string Identity(string name) => stack.FormatArn(new ArnComponents { Service = "ses", Resource = "identity", ResourceName = name });
                    Allow(
                        "SendEmailFromOwnIdentity",
                        ["ses:SendEmail"],
                        [Identity(from), Identity(from[(from.IndexOf('@', StringComparison.Ordinal) + 1)..])],
                        new Dictionary<string, object> { ["StringEquals"] = new Dictionary<string, object> { ["ses:FromAddress"] = from } });
                }

                break;

            case OutboundChannel.None:
                break;

            default:
                throw new ArgumentOutOfRangeException(nameof(channel), channel, "Unknown outbound channel.");
        }
    }
}
