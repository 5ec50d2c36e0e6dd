using System.Text.Json;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>What CDK uploads for each function is a folder holding an executable Linux <c>bootstrap</c>.
/// Uses the real output of scripts/build-functions.sh (scripts/check-infra.sh runs it first).</summary>
[Trait("Category", "Infra")]
public sealed class FunctionAssetTests
{
    private static readonly string BuiltBundles = Path.Combine(RepositoryRoot.Path, "artifacts", "lambda");

    [Fact]
    public void Synth_BuiltFunctions_EveryFunctionAssetHoldsAnExecutableBootstrap()
    {
        var missing = FanoutTopology.Functions.Where(f => !File.Exists(Path.Combine(BuiltBundles, f.Name, "bootstrap"))).Select(f => f.Name).ToList();
        Assert.True(missing.Count == 0,
            $"Functions not built ({string.Join(", ", missing)}): run scripts/build-functions.sh (scripts/check-infra.sh does) before these tests.");

        // Whichever CPU scripts/build-functions.sh built for (check-infra.sh --arch), deployed as that architecture.
        var machine = FunctionBundle.ReadElfMachine(Path.Combine(BuiltBundles, FanoutTopology.OrderIntake.Name, "bootstrap"));
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object>
        {
            [StackSettings.Keys.FunctionAssetsDir] = BuiltBundles,
            [StackSettings.Keys.Architecture] = machine == PlaceholderBundles.Aarch64 ? StackSettings.Arm64 : StackSettings.X86,
        });
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(stack.TemplateFile, null).Replace(".template", ".assets", StringComparison.Ordinal) + ".json"));

        foreach (var function in FanoutTopology.Functions)
        {
            var code = stack.AtPath(Paths.LambdaFunction(function.Name)).Resource.GetProperty("Properties").GetProperty("Code");
            var hash = Path.GetFileNameWithoutExtension(code.GetProperty("S3Key").GetString()!);
            var source = assets.RootElement.GetProperty("files").GetProperty(hash).GetProperty("source");
            Assert.Equal("zip", source.GetProperty("packaging").GetString());

            var bootstrap = Path.Combine(stack.Outdir, source.GetProperty("path").GetString()!, "bootstrap");
            Assert.True(File.Exists(bootstrap), $"{function.Name}: the staged asset has no bootstrap ({bootstrap})");
            Assert.True((File.GetUnixFileMode(bootstrap) & UnixFileMode.UserExecute) != 0, $"{function.Name}: {bootstrap} is not executable");
            Assert.Equal(machine, FunctionBundle.ReadElfMachine(bootstrap));
            // A real AOT binary, not a stub: megabytes of native code.
            Assert.True(new FileInfo(bootstrap).Length > 1_000_000, $"{function.Name}: {bootstrap} is too small to be the AOT build");
        }
    }

    [Fact]
    public void Synth_FunctionsNotBuilt_FailsTellingTheUserToRunTheBuildScript()
    {
        var empty = Path.Combine(AppContext.BaseDirectory, "no-bundles-" + Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<InfraConfigurationException>(() =>
            SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.FunctionAssetsDir] = empty }));

        Assert.Contains("has not been built", error.Message, StringComparison.Ordinal);
        Assert.Contains("scripts/build-functions.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_BootstrapNotExecutable_Fails()
    {
        var bundles = PlaceholderBundles.Create("not-executable", PlaceholderBundles.X86_64, executable: false);

        var error = Assert.Throws<InfraConfigurationException>(() =>
            SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.FunctionAssetsDir] = bundles }));

        Assert.Contains("is not executable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_BundlesBuiltForAnotherCpu_FailsNamingBothArchitectures()
    {
        var error = Assert.Throws<InfraConfigurationException>(() =>
            SynthesizedStack.Synthesize(new Dictionary<string, object>
            {
                [StackSettings.Keys.FunctionAssetsDir] = PlaceholderBundles.ForX86,
                [StackSettings.Keys.Architecture] = "arm64",
            }));

        Assert.Contains("is built for x86_64, but the stack deploys arm64 functions", error.Message, StringComparison.Ordinal);
        Assert.Contains("--arch arm64", error.Message, StringComparison.Ordinal);
    }
}
