using System.Globalization;
using System.Text.Json;

namespace Fanout.Contracts.Json;

/// <summary>What <see cref="JsonTextScan.Find"/> reports about one place in a JSON tree.</summary>
public enum JsonTextProblem
{
    /// <summary>A member name whose escapes decode to ill-formed UTF-16 (an unpaired surrogate such as <c>\ud800</c>).</summary>
    IllFormedName,

    /// <summary>A string value whose escapes decode to ill-formed UTF-16.</summary>
    IllFormedString,

    /// <summary>A member name used twice in one object (compared after unescaping).</summary>
    DuplicateName,
}

/// <param name="Path">Where: <c>customer.id</c>, <c>items[0].sku</c>; "" for the root. For
/// <see cref="JsonTextProblem.IllFormedName"/> the path of the object holding the name, since the name itself
/// cannot be read.</param>
public readonly record struct JsonTextFinding(JsonTextProblem Problem, string Path);

/// <summary>Finds the text that keeps a parsed document from being I-JSON (RFC 7493 sections 2.1 and 2.3): strings
/// and member names that are not well-formed UTF-16, and duplicate member names. System.Text.Json parses such
/// escapes without complaint but throws <see cref="InvalidOperationException"/> when one is read, so every reader
/// that must answer with a reason instead of a crash walks the tree with this first. The intake validator and the
/// consumers' envelope parser share it.</summary>
public static class JsonTextScan
{
    /// <param name="duplicates">Also report duplicate member names (callers whose parser already refuses them pass false).</param>
    /// <returns>Every finding in document order; empty when the text is well formed.</returns>
    public static IReadOnlyList<JsonTextFinding> Find(JsonElement root, bool duplicates)
    {
        var findings = new List<JsonTextFinding>();
        Walk(root, "", duplicates, findings);
        return findings;
    }

    private static void Walk(JsonElement element, string path, bool duplicates, List<JsonTextFinding> findings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = duplicates ? new HashSet<string>(StringComparer.Ordinal) : null;
                foreach (var member in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = member.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        findings.Add(new JsonTextFinding(JsonTextProblem.IllFormedName, path));
                        continue;
                    }

                    var child = path.Length == 0 ? name : path + "." + name;
                    if (names is not null && !names.Add(name))
                    {
                        findings.Add(new JsonTextFinding(JsonTextProblem.DuplicateName, child));
                    }

                    Walk(member.Value, child, duplicates, findings);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]", duplicates, findings);
                    index++;
                }

                break;
            case JsonValueKind.String:
                try
                {
                    _ = element.GetString();
                }
                catch (InvalidOperationException)
                {
                    findings.Add(new JsonTextFinding(JsonTextProblem.IllFormedString, path));
                }

                break;
        }
    }
}
