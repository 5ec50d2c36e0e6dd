using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.SNS;
using Constructs;

namespace Fanout.Infra.Constructs;

public sealed class EncryptedTopicProps
{
    public required IKey Key { get; init; }

    /// <summary>A fixed name (the shared topology's), or null to let CloudFormation name the topic.</summary>
    public string? TopicName { get; init; }

    public string? DisplayName { get; init; }
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
        });

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
