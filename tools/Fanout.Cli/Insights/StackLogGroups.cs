using Amazon.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.Cli.Targeting;

namespace Fanout.Cli.Insights;

/// <summary>The log groups of a deployed stack's functions. Each Fanout function has its own
/// <c>AWS::Logs::LogGroup</c> resource (CloudFormation names it, so it is not <c>/aws/lambda/&lt;name&gt;</c>); the API's
/// access log group is left out. Read with CloudFormation <c>DescribeStackResources</c> (Query protocol), whose
/// <c>PhysicalResourceId</c> of a log group is its name (AWS CloudFormation User Guide, "AWS::Logs::LogGroup", Ref).</summary>
internal static class StackLogGroups
{
    public const string LogGroupType = "AWS::Logs::LogGroup";

    public static async Task<IReadOnlyList<string>> ReadAsync(HttpClient http, string stackName, string region, TimeProvider time, Func<AWSCredentials>? credentials = null, Func<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        var endpoint = AwsEndpoint.Resolve("CLOUDFORMATION", "cloudformation", region, environment);
        var caller = new SignedAwsHttpClient(http, (credentials ?? SignedAwsHttpClient.DefaultCredentials)(), region, "cloudformation", endpoint, time);
        var answer = await AwsQuery.CallAsync(caller, "CloudFormation", AwsQuery.Form(("Action", "DescribeStackResources"), ("Version", "2010-05-15"), ("StackName", stackName)), cancellationToken);
        return Parse(answer);
    }

    /// <summary>The function log group names in a DescribeStackResources answer
    /// (<c>StackResources/member/{LogicalResourceId,PhysicalResourceId,ResourceType}</c>).</summary>
    public static IReadOnlyList<string> Parse(System.Xml.Linq.XElement answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var resources = answer.DescendantsAndSelf().FirstOrDefault(e => e.Name.LocalName == "StackResources");
        return [.. AwsQuery.Children(resources, "member")
            .Where(m => AwsQuery.Child(m, "ResourceType") == LogGroupType
                && !(AwsQuery.Child(m, "LogicalResourceId") ?? "").Contains("AccessLogs", StringComparison.Ordinal))
            .Select(m => AwsQuery.Child(m, "PhysicalResourceId"))
            .OfType<string>()
            .Where(name => name.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];
    }
}
