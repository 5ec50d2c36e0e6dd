using Amazon.Runtime;
using Fanout.Cli.Local;
using Fanout.Cli.Targeting;

namespace Fanout.Cli.Tests.Targeting;

[Trait("Category", "Unit")]
public sealed class LocalUpStateCredentialsTests
{
    private static LocalState State(string? secret) => new()
    {
        Pid = 1,
        Region = "us-east-1",
        SqsEndpoint = "http://127.0.0.1:4566/",
        SnsEndpoint = "http://127.0.0.1:4566/",
        DynamoDbEndpoint = "http://127.0.0.1:8000/",
        AccessKeyId = "test",
        SecretAccessKey = secret,
    };

    [Fact]
    public void ToAwsTarget_EmbeddedStateWithSecret_UsesTheStatesKeyPairNotTheChain()
    {
        var asked = 0;

        var target = LocalUpStateFile.ToAwsTarget(State("fake-secret"), () => { asked++; return new BasicAWSCredentials("AKIACHAIN", "chain-secret"); });

        Assert.Equal(("test", "fake-secret"), (target.AccessKeyId, target.SecretAccessKey));
        Assert.Equal(0, asked);
    }

    [Fact]
    public void ToAwsTarget_ExternalStateWithoutSecret_TakesTheKeyPairFromTheDefaultChain()
    {
        var target = LocalUpStateFile.ToAwsTarget(State(null), () => new SessionAWSCredentials("AKIACHAIN", "chain-secret", "session"));

        Assert.Equal(("AKIACHAIN", "chain-secret"), (target.AccessKeyId, target.SecretAccessKey));
        Assert.Equal(new Uri("http://127.0.0.1:8000/"), target.DynamoDb);
        Assert.Equal("us-east-1", target.Region);
    }

    [Fact]
    public void ToAwsTarget_ExternalStateAndNoCredentialsAnywhere_SaysWhereToPutThem()
    {
        var error = Assert.Throws<TargetResolutionException>(() => LocalUpStateFile.ToAwsTarget(State(null), () => throw new AmazonClientException("Failed to resolve AWS credentials")));

        Assert.Equal(
            "The running `fanout up` uses external endpoints and keeps no secret key; none was found in the environment or the AWS profile either (Failed to resolve AWS credentials). Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE as for `fanout up`.",
            error.Message);
    }
}
