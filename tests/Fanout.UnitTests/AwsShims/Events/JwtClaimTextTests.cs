using System.Text.Json;
using Fanout.AwsShims.Events;

namespace Fanout.UnitTests.AwsShims.Events;

/// <summary>Claim values rendered the way API Gateway's HTTP API JWT authorizer delivers them, and list claims read
/// back.</summary>
[Trait("Category", "Unit")]
public sealed class JwtClaimTextTests
{
    [Theory]
    [InlineData("\"alice\"", "alice")]
    [InlineData("\"\"", "")]
    [InlineData("true", "true")]
    [InlineData("false", "false")]
    [InlineData("1787996002", "1787996002")]
    [InlineData("1.50", "1.50")]
    [InlineData("-3", "-3")]
    [InlineData("[\"operators\",\"support\"]", "[operators support]")]
    [InlineData("[\"operators\"]", "[operators]")]
    [InlineData("[]", "[]")]
    [InlineData("[1,true,false,null,\"x\"]", "[1 true false null x]")]
    [InlineData("[[\"a\",\"b\"],\"c\"]", "[[a b] c]")]
    [InlineData("{\"a\":1}", "{\"a\":1}")]
    public void Render_Value_GivesApiGatewaysText(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(expected, JwtClaimText.Render(document.RootElement));
    }

    [Fact]
    public void Render_Null_GivesNullSoTheClaimIsLeftOut()
    {
        using var document = JsonDocument.Parse("null");

        Assert.Null(JwtClaimText.Render(document.RootElement));
    }

    [Fact]
    public void Render_Undefined_GivesNull()
    {
        Assert.Null(JwtClaimText.Render(default));
    }

    [Theory]
    [InlineData("[operators support]", new[] { "operators", "support" })]
    [InlineData("[operators]", new[] { "operators" })]
    [InlineData("operators", new[] { "operators" })]
    [InlineData("operators support", new[] { "operators", "support" })]
    [InlineData("[a  b ]", new[] { "a", "b" })]
    [InlineData("[]", new string[0])]
    [InlineData("[", new[] { "[" })]
    [InlineData("]", new[] { "]" })]
    [InlineData("[a", new[] { "[a" })]
    [InlineData("a]", new[] { "a]" })]
    [InlineData("[[a] b]", new[] { "[a]", "b" })]
    [InlineData(" ", new string[0])]
    public void ParseList_Rendered_GivesTheItems(string rendered, string[] expected)
    {
        Assert.Equal(expected, JwtClaimText.ParseList(rendered));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void ParseList_NullOrEmpty_GivesNothing(string? rendered)
    {
        Assert.Empty(JwtClaimText.ParseList(rendered));
    }

    [Fact]
    public void ParseList_RenderedArray_RoundTrips()
    {
        using var document = JsonDocument.Parse("""["operators","support"]""");

        Assert.Equal(["operators", "support"], JwtClaimText.ParseList(JwtClaimText.Render(document.RootElement)));
    }
}
