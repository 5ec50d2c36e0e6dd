using System.Text.Json;

namespace Fanout.Infra.Tests.Support;

/// <summary>Reads CloudFormation intrinsics and IAM policy documents out of a template's JSON.</summary>
internal static class Cfn
{
    /// <summary>The logical id a value points at through <c>Ref</c> or <c>Fn::GetAtt</c>, or null.</summary>
    public static string? Target(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (value.TryGetProperty("Ref", out var reference))
        {
            return reference.GetString();
        }

        return value.TryGetProperty("Fn::GetAtt", out var getAtt) ? getAtt[0].GetString() : null;
    }

    /// <summary>Every logical id referenced anywhere inside a value (Ref, GetAtt, inside Fn::Join...).</summary>
    public static ISet<string> TargetsWithin(JsonElement value)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        Walk(value);
        return found;

        void Walk(JsonElement element)
        {
            if (Target(element) is { } target)
            {
                found.Add(target);
            }

            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item);
                }
            }
        }
    }

    /// <summary>A value that may be one item or a list of items, as a list.</summary>
    public static IReadOnlyList<JsonElement> List(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];

    /// <summary>The text of a string property that may be an <c>Fn::Join</c> of text and references; each reference
    /// becomes <c>{logical id}</c> (or <c>{AWS::AccountId}</c>...), so JSON text joined around references still parses.</summary>
    public static string JoinedText(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        var join = value.GetProperty("Fn::Join");
        var separator = join[0].GetString()!;
        return string.Join(separator, join[1].EnumerateArray().Select(part => part.ValueKind == JsonValueKind.String
            ? part.GetString()
            : "{" + (Target(part) ?? (part.TryGetProperty("Fn::Join", out _) ? JoinedText(part) : part.GetRawText())) + "}"));
    }

    /// <summary>An alarm's single <c>MetricName</c>, or null for an alarm on metric math (<c>Metrics</c>).</summary>
    public static string? MetricName(JsonElement alarmProperties) =>
        alarmProperties.TryGetProperty("MetricName", out var name) ? name.GetString() : null;

    /// <summary>The statements of a policy document.</summary>
    public static IReadOnlyList<PolicyStatement> Statements(JsonElement document) =>
        List(document.GetProperty("Statement")).Select(s => new PolicyStatement(s)).ToList();
}

/// <summary>One IAM statement, with its actions and resources as lists.</summary>
internal sealed class PolicyStatement(JsonElement json)
{
    public JsonElement Json { get; } = json;

    public string? Sid => Json.TryGetProperty(nameof(Sid), out var sid) ? sid.GetString() : null;

    public string Effect => Json.GetProperty(nameof(Effect)).GetString()!;

    public IReadOnlyList<string> Actions => Json.TryGetProperty("Action", out var action) ? Cfn.List(action).Select(a => a.GetString()!).ToList() : [];

    public IReadOnlyList<JsonElement> Resources => Json.TryGetProperty("Resource", out var resource) ? Cfn.List(resource) : [];

    public IReadOnlyList<JsonElement> NotResources => Json.TryGetProperty("NotResource", out var resource) ? Cfn.List(resource) : [];

    /// <summary>The statement's <c>Condition</c> block, or null when it has none.</summary>
    public JsonElement? Condition => Json.TryGetProperty(nameof(Condition), out var condition) ? condition : null;

    public bool HasWildcardResource => Resources.Any(r => r.ValueKind == JsonValueKind.String && r.GetString() == "*");

    /// <summary>The X-Ray statement CDK adds to a function role for active tracing: exactly PutTraceSegments and
    /// PutTelemetryRecords, actions that take no resource ARN, so "*" is the only resource they accept.</summary>
    public bool IsTraceWrite => Actions.Order(StringComparer.Ordinal).SequenceEqual(TraceWriteActions);

    /// <summary>The two actions active tracing needs (AWS X-Ray Developer Guide, "AWS Lambda and AWS X-Ray").</summary>
    public static readonly string[] TraceWriteActions = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];

    public string? ServicePrincipal =>
        Json.TryGetProperty("Principal", out var principal) && principal.ValueKind == JsonValueKind.Object && principal.TryGetProperty("Service", out var service)
            ? service.GetString()
            : null;
}
