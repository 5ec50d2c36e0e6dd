namespace Fanout.Harness.Emulators;

/// <summary>Where the AWS APIs are: endpoints for SQS, SNS and DynamoDB plus a region and credentials.</summary>
public sealed record AwsTarget(Uri Sqs, Uri Sns, Uri DynamoDb, string Region, string AccessKeyId, string SecretAccessKey)
{
    /// <summary>Points every AWS SDK client in this process at the target, using the SDK's standard
    /// variables (<c>AWS_ENDPOINT_URL_SQS</c>, <c>_SNS</c>, <c>_DYNAMODB</c>) — the same convention the
    /// functions rely on in Lambda, so no function has an emulator-specific setting.</summary>
    public void ApplyToProcess()
    {
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_SQS", Sqs.ToString());
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_SNS", Sns.ToString());
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_DYNAMODB", DynamoDb.ToString());
        Environment.SetEnvironmentVariable("AWS_REGION", Region);
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", AccessKeyId);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", SecretAccessKey);
        Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", null);
        // Emulators need no account: never let the SDK wander off to IMDS or a shared profile.
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
    }

    /// <summary>The variables <see cref="ApplyToProcess"/> sets, for a child process.</summary>
    public IReadOnlyDictionary<string, string> ToEnvironment() => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL_SQS"] = Sqs.ToString(),
        ["AWS_ENDPOINT_URL_SNS"] = Sns.ToString(),
        ["AWS_ENDPOINT_URL_DYNAMODB"] = DynamoDb.ToString(),
        ["AWS_REGION"] = Region,
        ["AWS_ACCESS_KEY_ID"] = AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey,
    };
}

/// <summary>A running set of emulators.</summary>
public interface IEmulatorSet : IAsyncDisposable
{
    string Description { get; }

    AwsTarget Target { get; }
}
