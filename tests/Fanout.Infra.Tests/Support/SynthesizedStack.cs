using System.Text.Json;
using Amazon.CDK;
using Amazon.CDK.Assertions;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Tests.Support;

/// <summary>A Fanout stack synthesized the way <c>cdk synth</c> does it: the context of the repository's
/// cdk.json (feature flags and defaults), overridden per test. Exposes the template both to
/// Amazon.CDK.Assertions and as JSON for checks that walk every resource.</summary>
internal sealed class SynthesizedStack
{
    private static readonly Lazy<SynthesizedStack> DefaultStack = new(() => Synthesize());

    private SynthesizedStack(Template template, JsonDocument json, string outdir, string templateFile)
    {
        Template = template;
        Json = json;
        Outdir = outdir;
        TemplateFile = templateFile;
    }

    /// <summary>The stack as cdk.json configures it, synthesized once and shared by read-only tests.</summary>
    public static SynthesizedStack Default => DefaultStack.Value;

    public Template Template { get; }

    public JsonDocument Json { get; }

    /// <summary>The cloud assembly folder (assets are staged here).</summary>
    public string Outdir { get; }

    public string TemplateFile { get; }

    public JsonElement Root => Json.RootElement;

    /// <param name="context">Context values that override cdk.json's, e.g. <c>["smsSender"] = "sns"</c>.</param>
    /// <param name="consumers">A topology to deploy instead of <see cref="FanoutTopology.Consumers"/>.</param>
    public static SynthesizedStack Synthesize(
        IReadOnlyDictionary<string, object>? context = null,
        IReadOnlyList<ConsumerSpec>? consumers = null)
    {
        var merged = CdkJsonContext();
        merged[StackSettings.Keys.FunctionAssetsDir] = PlaceholderBundles.ForX86;
        // What the CDK CLI switches on: construct paths and asset paths in the template's metadata.
        merged["aws:cdk:enable-path-metadata"] = true;
        merged["aws:cdk:enable-asset-metadata"] = true;
        foreach (var (key, value) in context ?? new Dictionary<string, object>())
        {
            merged[key] = value;
        }

        var outdir = Path.Combine(AppContext.BaseDirectory, "cdk.out", Guid.NewGuid().ToString("N"));
        var app = new App(new AppProps { Outdir = outdir, Context = merged });
        var settings = StackSettings.FromContext(key => app.Node.TryGetContext(key));
        var stack = new FanoutStack(app, settings.StackName, new FanoutStackProps
        {
            Settings = settings,
            Consumers = consumers ?? FanoutTopology.Consumers,
        });
        var template = Template.FromStack(stack);
        var assembly = app.Synth();
        var templateFile = assembly.GetStackArtifact(stack.ArtifactId).TemplateFullPath;
        return new SynthesizedStack(template, JsonDocument.Parse(File.ReadAllText(templateFile)), outdir, templateFile);
    }

    /// <summary>The stack's name, the first segment of every construct path.</summary>
    public string StackName => Root.GetProperty("Resources").EnumerateObject()
        .Select(r => r.Value.TryGetProperty("Metadata", out var m) && m.TryGetProperty("aws:cdk:path", out var p) ? p.GetString() : null)
        .First(p => p is not null)!.Split('/')[0];

    /// <summary>The resource at a construct path below the stack, e.g. <c>SmsQueues/Queue/Resource</c>.</summary>
    public (string LogicalId, JsonElement Resource) AtPath(string path)
    {
        var full = $"{StackName}/{path}";
        var match = Root.GetProperty("Resources").EnumerateObject()
            .Where(r => r.Value.TryGetProperty("Metadata", out var m) && m.TryGetProperty("aws:cdk:path", out var p) && p.GetString() == full)
            .Select(r => (r.Name, r.Value))
            .ToList();
        return match.Count == 1 ? match[0] : throw new InvalidOperationException($"Expected one resource at {full}, found {match.Count}.");
    }

    /// <summary>The <c>context</c> block of the repository's cdk.json, as the CDK CLI would pass it.</summary>
    public static Dictionary<string, object> CdkJsonContext()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "cdk.json")));
        return document.RootElement.GetProperty("context").EnumerateObject().ToDictionary(p => p.Name, p => ToPlain(p.Value));
    }

    /// <summary>Resources of one CloudFormation type, by logical id.</summary>
    public IReadOnlyList<(string LogicalId, JsonElement Resource)> Resources(string type) =>
        Root.GetProperty("Resources").EnumerateObject()
            .Where(r => r.Value.GetProperty("Type").GetString() == type)
            .Select(r => (r.Name, r.Value))
            .ToList();

    public JsonElement Resource(string logicalId) => Root.GetProperty("Resources").GetProperty(logicalId);

    /// <summary>The logical id of the single resource of <paramref name="type"/> whose id starts with <paramref name="prefix"/>.</summary>
    public string LogicalId(string type, string prefix) =>
        Resources(type).Select(r => r.LogicalId).Single(id => id.StartsWith(prefix, StringComparison.Ordinal));

    private static object ToPlain(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.Array => value.EnumerateArray().Select(ToPlain).ToArray(),
        _ => value.GetString()!,
    };
}
