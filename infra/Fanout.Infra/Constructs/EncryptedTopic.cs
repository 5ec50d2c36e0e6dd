using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.XRay;
using Constructs;

namespace Fanout.Infra.Constructs;

public sealed class EncryptedTopicProps
{
    public required IKey Key { get; init; }

    /// <summary>A fixed name (the shared topology's), or null to let CloudFormation name the topic.</summary>
    public string? TopicName { get; init; }

    public string? DisplayName { get; init; }

    /// <summary>X-Ray active tracing on the topic (CloudFormation <c>TracingConfig: Active</c>): SNS records, for
    /// sampled messages, the time a message spends in the topic and each delivery to a subscription, and lets SNS
    /// write those segments through an account-level X-Ray resource policy scoped to this topic.</summary>
    public bool ActiveTracing { get; init; }
}

/// <summary>An SNS topic encrypted with the customer-managed key that refuses every request not made over TLS.</summary>
public sealed class EncryptedTopic : Construct
{
    public EncryptedTopic(Construct scope, string id, EncryptedTopicProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Key);

        Topic = new Topic(this, "Topic", new TopicProps
        {
            TopicName = props.TopicName,
            DisplayName = props.DisplayName,
            MasterKey = props.Key,
            TracingConfig = props.ActiveTracing ? TracingConfig.ACTIVE : null,
        });

        if (props.ActiveTracing)
        {
            AllowSnsToWriteTraces();
        }

        // Written out rather than `enforceSSL`, which refuses only plain-HTTP Publish: this refuses every SNS action.
        // A wildcard is right in a Deny (present and future actions alike); no Allow in the stack uses one.
        Topic.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "DenyWithoutTls",
            Effect = Effect.DENY,
            Principals = [new AnyPrincipal()],
            Actions = ["sns:*"],
            Resources = [Topic.TopicArn],
            Conditions = new Dictionary<string, object> { ["Bool"] = new Dictionary<string, object> { ["aws:SecureTransport"] = "false" } },
        }));
    }

    public Topic Topic { get; }

    /// <summary>The X-Ray resource policy that lets SNS send this topic's trace segments, when tracing is active.</summary>
    public CfnResourcePolicy? TracingPolicy { get; private set; }

    /// <summary>SNS writes an active topic's segments into the owner's X-Ray only when an X-Ray resource policy allows
    /// it (AWS X-Ray Developer Guide, "Amazon SNS and AWS X-Ray"). X-Ray resource policies are per account (at most
    /// five), so the name carries the stack's; X-Ray actions take no resource ARN, so the topic is named by the
    /// <c>aws:SourceArn</c> condition instead.</summary>
    private void AllowSnsToWriteTraces()
    {
        var stack = Stack.Of(this);
        var document = new PolicyDocument(new PolicyDocumentProps
        {
            Statements =
            [
                new PolicyStatement(new PolicyStatementProps
                {
                    Sid = "SnsActiveTracing",
                    Principals = [new ServicePrincipal("sns.amazonaws.com")],
                    Actions = ["xray:PutTraceSegments", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
                    Resources = ["*"],
                    Conditions = new Dictionary<string, object>
                    {
                        ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = stack.Account },
                        ["ArnLike"] = new Dictionary<string, object> { ["aws:SourceArn"] = Topic.TopicArn },
                    },
                }),
            ],
        });
        TracingPolicy = new CfnResourcePolicy(this, "TracingPolicy", new CfnResourcePolicyProps
        {
            PolicyName = $"{stack.StackName}-{Node.Id}-sns-tracing",
            PolicyDocument = stack.ToJsonString(document.ToJSON()),
        });
    }

    /// <summary>Lets CloudWatch alarms in this account publish to the topic (the topic policy replaces SNS's
    /// default one, which would otherwise have allowed the account's alarms).</summary>
    public void AllowCloudWatchAlarms(string account, string alarmArnPattern)
    {
        Topic.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowCloudWatchAlarmsToPublish",
            Principals = [new ServicePrincipal("cloudwatch.amazonaws.com")],
            Actions = ["sns:Publish"],
            Resources = [Topic.TopicArn],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = account },
                ["ArnLike"] = new Dictionary<string, object> { ["aws:SourceArn"] = alarmArnPattern },
            },
        }));
    }
}
