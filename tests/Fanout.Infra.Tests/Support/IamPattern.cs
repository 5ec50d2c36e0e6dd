using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fanout.Infra.Tests.Support;

/// <summary>How IAM matches a value against a policy string with wildcards (<c>StringLike</c>, <c>ArnLike</c>,
/// Resource and NotResource): <c>*</c> is any run of characters, slashes and colons included, <c>?</c> is one
/// character, and the whole value must match. Lets a test ask "would this ARN fall under that statement?"
/// instead of comparing policy strings.</summary>
internal static class IamPattern
{
    public static bool Matches(string pattern, string value)
    {
        var regex = new StringBuilder("^");
        foreach (var c in pattern)
        {
            regex.Append(c switch
            {
                '*' => ".*",
                '?' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }

        return Regex.IsMatch(value, regex.Append('$').ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }

    /// <summary>A template string value with its <c>Fn::Join</c> and pseudo-parameter <c>Ref</c>s resolved as
    /// CloudFormation would in <paramref name="partition"/> (e.g. <c>aws</c>, <c>aws-cn</c>).</summary>
    public static string Resolve(JsonElement value, string partition = "aws", string account = "123456789012", string region = "eu-west-1")
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString()!;
            case JsonValueKind.Object when value.TryGetProperty("Fn::Join", out var join):
                var separator = join[0].GetString()!;
                return string.Join(separator, join[1].EnumerateArray().Select(part => Resolve(part, partition, account, region)));
            case JsonValueKind.Object when value.TryGetProperty("Ref", out var reference):
                return reference.GetString() switch
                {
                    "AWS::Partition" => partition,
                    "AWS::AccountId" => account,
                    "AWS::Region" => region,
                    "AWS::URLSuffix" => "amazonaws.com",
                    var other => throw new InvalidOperationException($"Cannot resolve Ref {other} without deploying."),
                };
            default:
                throw new InvalidOperationException($"Cannot resolve {value} without deploying.");
        }
    }
}
