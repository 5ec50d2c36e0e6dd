using System.Xml.Linq;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;

namespace Fanout.Cli.Targeting;

/// <summary>A deployed stack as DescribeStacks reports it.</summary>
internal sealed record StackDescription(string StackName, string Status, IReadOnlyDictionary<string, string> Outputs);

/// <summary>Reads a stack's outputs.</summary>
internal interface IStackOutputsSource
{
    Task<StackDescription> DescribeAsync(string stackName, string region, CancellationToken cancellationToken);
}

/// <summary>CloudFormation DescribeStacks over a SigV4-signed Query call (there is no CloudFormation SDK package
/// here). Endpoint: <c>AWS_ENDPOINT_URL_CLOUDFORMATION</c>, <c>AWS_ENDPOINT_URL</c>, or the public one.</summary>
internal sealed class CloudFormationStackOutputs : IStackOutputsSource
{
    private const string ApiVersion = "2010-05-15";
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly Func<AWSCredentials> _credentials;
    private readonly Func<string, string?> _environment;

    /// <param name="credentials">Defaults to the SDK's default chain.</param>
    /// <param name="environment">Where endpoint variables are read; defaults to the process environment.</param>
    public CloudFormationStackOutputs(HttpClient http, TimeProvider time, Func<AWSCredentials>? credentials = null, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        _http = http;
        _time = time;
        _credentials = credentials ?? SignedAwsHttpClient.DefaultCredentials;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    public async Task<StackDescription> DescribeAsync(string stackName, string region, CancellationToken cancellationToken)
    {
        AWSCredentials credentials;
        try
        {
            credentials = _credentials();
        }
        catch (AmazonClientException ex)
        {
            throw new TargetResolutionException(
                $"--stack needs AWS credentials to read the stack's outputs and none were found ({ex.Message}). Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.", ex);
        }

        var endpoint = AwsEndpoint.Resolve("CLOUDFORMATION", "cloudformation", region, _environment);
        var caller = new SignedAwsHttpClient(_http, credentials, region, "cloudformation", endpoint, _time);
        XElement answer;
        try
        {
            answer = await AwsQuery.CallAsync(caller, "CloudFormation", AwsQuery.Form(("Action", "DescribeStacks"), ("Version", ApiVersion), ("StackName", stackName)), cancellationToken);
        }
        catch (AwsServiceException ex) when (ex.ErrorCode == "ValidationError")
        {
            throw new TargetResolutionException($"Stack '{stackName}' was not found in {region} ({ex.Message}). Check --stack and --region.", ex);
        }

        return DescribeStacksParser.Parse(answer, stackName);
    }
}

/// <summary>Reads the DescribeStacks answer: <c>Stacks/member/Outputs/member/{OutputKey,OutputValue}</c>.</summary>
internal static class DescribeStacksParser
{
    public static StackDescription Parse(string xml, string stackName) =>
        Parse(AwsQuery.TryParse(xml) ?? throw new FormatException("The DescribeStacks answer is not XML."), stackName);

    public static StackDescription Parse(XElement answer, string stackName)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var stacks = answer.DescendantsAndSelf().FirstOrDefault(e => e.Name.LocalName == "Stacks");
        var stack = AwsQuery.Children(stacks, "member").FirstOrDefault()
            ?? throw new TargetResolutionException($"DescribeStacks returned no stack named '{stackName}'.");
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var output in AwsQuery.Children(AwsQuery.Children(stack, "Outputs").FirstOrDefault(), "member"))
        {
            if (AwsQuery.Child(output, "OutputKey") is { Length: > 0 } key)
            {
                outputs[key] = AwsQuery.Child(output, "OutputValue") ?? "";
            }
        }

        return new StackDescription(AwsQuery.Child(stack, "StackName") ?? stackName, AwsQuery.Child(stack, "StackStatus") ?? "", outputs);
    }
}
