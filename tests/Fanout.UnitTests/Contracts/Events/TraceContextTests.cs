using System.Text.RegularExpressions;
using CsCheck;
using Fanout.Contracts.Events;

namespace Fanout.UnitTests.Contracts.Events;

/// <summary>W3C Trace Context <c>traceparent</c>, version 00 (W3C Recommendation "Trace Context" §3.2).</summary>
[Trait("Category", "Unit")]
public sealed class TraceContextTests
{
    private const string Example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static readonly Gen<string> TraceIds = Gen.Char["0123456789abcdef"].Array[32].Select(c => new string(c)).Where(s => s.Any(c => c != '0'));
    private static readonly Gen<string> ParentIds = Gen.Char["0123456789abcdef"].Array[16].Select(c => new string(c)).Where(s => s.Any(c => c != '0'));
    private static readonly Gen<string> Flags = Gen.Char["0123456789abcdef"].Array[2].Select(c => new string(c));
    private static readonly Regex Schema = new(EventRules.TraceParentPatternText, RegexOptions.CultureInvariant);

    [Fact]
    public void TryParse_TheSpecsExample_ReadsItsParts()
    {
        Assert.True(TraceContext.TryParse(Example, out var context));
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", context.TraceId);
        Assert.Equal("00f067aa0ba902b7", context.ParentId);
        Assert.Equal(1, context.Flags);
        Assert.True(context.IsSampled);
        Assert.Equal(Example, context.ToString());
    }

    [Fact]
    public void TryParse_AnyValidParts_RoundTripsAndAgreesWithTheSchemaPattern()
    {
        Gen.Select(TraceIds, ParentIds, Flags).Sample((traceId, parentId, flags) =>
        {
            var text = $"00-{traceId}-{parentId}-{flags}";
            Assert.True(TraceContext.TryParse(text, out var context));
            Assert.Equal(text, context.Value);
            Assert.Equal(traceId, context.TraceId);
            Assert.Equal(parentId, context.ParentId);
            Assert.Equal(Convert.ToByte(flags, 16), context.Flags);
            Assert.Matches(Schema, text);
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n")]
    [InlineData("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")]
    [InlineData(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    public void TryParse_Invalid_Refuses(string? text)
    {
        Assert.False(TraceContext.TryParse(text, out var context));
        Assert.Null(context);
        Assert.False(EventRules.IsTraceParent(text));
        if (text is not null)
        {
            Assert.DoesNotMatch(Schema, text);
            Assert.Throws<FormatException>(() => TraceContext.Parse(text));
        }
    }

    [Fact]
    public void TryParse_OneCharacterChanged_AgreesWithTheSchemaPattern()
    {
        Gen.Select(Gen.Int[0, TraceContext.Length - 1], Gen.Char).Sample((at, c) =>
        {
            var text = string.Concat(Example.AsSpan(0, at), c.ToString(), Example.AsSpan(at + 1));
            Assert.Equal(Schema.IsMatch(text), TraceContext.IsValid(text));
        });
    }

    [Fact]
    public void Child_AnyContext_KeepsTraceIdAndFlagsWithANewParentId()
    {
        Gen.Select(TraceIds, ParentIds, Flags).Sample((traceId, parentId, flags) =>
        {
            var parent = TraceContext.Parse($"00-{traceId}-{parentId}-{flags}");
            var child = parent.Child();
            Assert.True(TraceContext.IsValid(child.Value));
            Assert.Equal(parent.TraceId, child.TraceId);
            Assert.Equal(parent.Flags, child.Flags);
            Assert.NotEqual(parent.ParentId, child.ParentId);
        });
    }

    [Fact]
    public void NewRoot_ManyTimes_GivesValidDistinctSampledTraces()
    {
        var roots = Enumerable.Range(0, 1000).Select(_ => TraceContext.NewRoot()).ToList();

        Assert.All(roots, r => Assert.True(TraceContext.IsValid(r.Value) && r.IsSampled));
        Assert.Equal(1000, roots.Select(r => r.TraceId).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", true)]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", false)]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793", false)]
    public void FromXRayHeader_RootGiven_MapsTheXRayTraceIdToTheW3CTraceId(string header, bool sampled)
    {
        var context = TraceContext.FromXRayHeader(header);

        Assert.NotNull(context);
        Assert.Equal("5759e988bd862e3fe1be46a994272793", context.TraceId);
        Assert.Equal(sampled, context.IsSampled);
        Assert.True(TraceContext.IsValid(context.Value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Parent=53995c3f42cd8ad8;Sampled=1")]
    [InlineData("Root=2-5759e988-bd862e3fe1be46a994272793")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a99427279")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a99427279z")]
    [InlineData("Root=1-00000000-000000000000000000000000")]
    public void FromXRayHeader_NoValidRoot_GivesNull(string? header) => Assert.Null(TraceContext.FromXRayHeader(header));

    [Fact]
    public void InTrace_BadTraceId_Throws()
    {
        Assert.Throws<FormatException>(() => TraceContext.InTrace(new string('0', 32), sampled: true));
        Assert.Throws<FormatException>(() => TraceContext.InTrace("4BF92F3577B34DA6A3CE929D0E0E4736", sampled: true));
        Assert.Throws<FormatException>(() => TraceContext.InTrace("4bf92f", sampled: true));
    }
}
