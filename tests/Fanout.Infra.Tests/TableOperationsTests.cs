using System.Text.RegularExpressions;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>The stack grants each function exactly the DynamoDB operations its topology entry declares. This
/// reads the function's code (from its composition root, following every class it constructs) and checks the
/// declaration still matches, so a new DynamoDB call fails here instead of with AccessDenied in production.</summary>
[Trait("Category", "Infra")]
public sealed partial class TableOperationsTests
{
    /// <summary>Where a function's object graph is built: its entry point and composition root.</summary>
    private static readonly string[] EntryFiles = ["Program.cs", "Composition.cs"];

    private static readonly Lazy<Dictionary<string, string>> SourceByClass = new(LoadClasses);

    [Theory]
    [MemberData(nameof(Paths.FunctionNames), MemberType = typeof(Paths))]
    public void TableOperations_FunctionCode_DeclaresExactlyTheCallsTheCodeMakes(string functionName)
    {
        var spec = Paths.Function(functionName);

        var used = DynamoOperationsReachableFrom(Path.Combine(RepositoryRoot.Path, spec.Project));

        Assert.True(
            used.SetEquals(spec.TableOperations),
            $"{functionName}'s code calls DynamoDB {string.Join(", ", used)}, but FanoutTopology grants {string.Join(", ", spec.TableOperations.Order())}; " +
            "update its TableOperations.");
    }

    private static SortedSet<string> DynamoOperationsReachableFrom(string projectFolder)
    {
        var pending = new Queue<string>(EntryFiles.Select(f => File.ReadAllText(Path.Combine(projectFolder, f))));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var operations = new SortedSet<string>(StringComparer.Ordinal);
        while (pending.TryDequeue(out var source))
        {
            foreach (Match call in DynamoCall().Matches(source))
            {
                var operation = call.Groups[1].Value;
                if (operation is "TransactWriteItems")
                {
                    // IAM authorises each item of a transaction as the single-item call it stands for.
                    foreach (Match item in TransactionItem().Matches(source))
                    {
                        operations.Add(item.Groups[1].Value + "Item");
                    }
                }
                else
                {
                    operations.Add(operation);
                }
            }

            foreach (Match created in Construction().Matches(source))
            {
                if (seen.Add(created.Groups[1].Value) && SourceByClass.Value.TryGetValue(created.Groups[1].Value, out var classSource))
                {
                    pending.Enqueue(classSource);
                }
            }
        }

        return operations;
    }

    private static Dictionary<string, string> LoadClasses()
    {
        var classes = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "functions"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var source = File.ReadAllText(file);
            foreach (Match declaration in TypeDeclaration().Matches(source))
            {
                classes.TryAdd(declaration.Groups[1].Value, source);
            }
        }

        return classes;
    }

    [GeneratedRegex(@"_dynamo\s*\.\s*(\w+)Async\s*\(")]
    private static partial Regex DynamoCall();

    [GeneratedRegex(@"\b(Put|Update|Delete|ConditionCheck)\s*=\s*(?!=)")]
    private static partial Regex TransactionItem();

    [GeneratedRegex(@"\bnew\s+(\w+)\s*[\(\{<]")]
    private static partial Regex Construction();

    [GeneratedRegex(@"\b(?:class|record|struct)\s+(\w+)")]
    private static partial Regex TypeDeclaration();
}
