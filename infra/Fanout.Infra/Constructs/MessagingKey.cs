using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Constructs;

namespace Fanout.Infra.Constructs;

public sealed class MessagingKeyProps
{
    /// <summary>The alias operators find the key under, e.g. <c>alias/Fanout/messaging</c>.</summary>
    public required string AliasName { get; init; }
}

/// <summary>The customer-managed key that encrypts the topics, queues and dead-letter queues.
/// It must be customer-managed: the AWS-managed <c>alias/aws/sns</c> and <c>alias/aws/sqs</c> keys have
/// policies no one can change, so SNS could not encrypt into an SQS queue and delivery would fail silently.</summary>
public sealed class MessagingKey : Construct
{
    /// <summary>Key management, spelled out instead of the usual <c>kms:*</c> so no policy in the stack
    /// grants a wildcard action. These are the calls CloudFormation and operators make on the key.</summary>
    internal static readonly string[] AdministrationActions =
    [
        "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
        "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
        "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy",
        "kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource",
        "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
    ];

    /// <summary>Cryptographic use. Granting it to the account lets IAM policies (the functions' roles) hand out
    /// exactly the subset each function needs; without it, no identity policy could grant use of the key.</summary>
    internal static readonly string[] UseActions =
    [
        "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
    ];

    public MessagingKey(Construct scope, string id, MessagingKeyProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentException.ThrowIfNullOrWhiteSpace(props.AliasName);

        var account = new AccountRootPrincipal();
        // In a key policy "Resource": "*" means "this key"; AWS accepts nothing else there.
        var policy = new PolicyDocument(new PolicyDocumentProps
        {
            Statements =
            [
                new PolicyStatement(new PolicyStatementProps
                {
                    Sid = "AccountAdministersKey",
                    Principals = [account],
                    Actions = AdministrationActions,
                    Resources = ["*"],
                }),
                new PolicyStatement(new PolicyStatementProps
                {
                    Sid = "AccountIamPoliciesGrantUse",
                    Principals = [account],
                    Actions = UseActions,
                    Resources = ["*"],
                }),
            ],
        });

        Key = new Key(this, "Key", new KeyProps
        {
            Description = "Fanout: encrypts the order-events and alarm topics, the consumer queues and their dead-letter queues.",
            EnableKeyRotation = true,
            Policy = policy,
            Alias = props.AliasName,
            // Nothing outlives the stack encrypted under this key (tables use DynamoDB's own encryption, and the
            // queues go with the stack), so it is scheduled for deletion with the stack after the minimum wait.
            RemovalPolicy = RemovalPolicy.DESTROY,
            PendingWindow = Duration.Days(7),
        });
    }

    public Key Key { get; }

    /// <summary>Lets SNS encrypt what the named topic delivers into queues under this key. The topic's ARN is
    /// built from its fixed name rather than referenced: the topic itself is encrypted with this key, and a
    /// reference both ways would be a circular dependency CloudFormation rejects.</summary>
    public void AllowSnsDelivery(string topicName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topicName);
        var topicArn = Stack.Of(this).FormatArn(new ArnComponents { Service = "sns", Resource = topicName, ArnFormat = ArnFormat.NO_RESOURCE_NAME });
        AllowServiceToUse("sns.amazonaws.com", new Dictionary<string, object>
        {
            ["ArnEquals"] = new Dictionary<string, object> { ["aws:SourceArn"] = topicArn },
        });
    }

    /// <summary>Lets CloudWatch encrypt what this account's alarms publish to a topic under this key. The
    /// <c>aws:SourceAccount</c> condition is the confused-deputy guard: CloudWatch acting for another account's
    /// alarms cannot use the key (AWS IAM User Guide, "The confused deputy problem").</summary>
    public void AllowCloudWatchAlarms() => AllowServiceToUse("cloudwatch.amazonaws.com", new Dictionary<string, object>
    {
        ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = Stack.Of(this).Account },
    });

    /// <summary>Lets an AWS service (SNS, CloudWatch) encrypt into and decrypt from resources under this key.</summary>
    public void AllowServiceToUse(string servicePrincipal, IDictionary<string, object>? conditions = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(servicePrincipal);
        Key.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "Allow" + char.ToUpperInvariant(servicePrincipal[0]) + servicePrincipal.Split('.')[0][1..] + "ToUseKey",
            Principals = [new ServicePrincipal(servicePrincipal)],
            Actions = ["kms:Decrypt", "kms:GenerateDataKey"],
            // Key policy: "*" is this key.
            Resources = ["*"],
            Conditions = conditions,
        }));
    }
}
