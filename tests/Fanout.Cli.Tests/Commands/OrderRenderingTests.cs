using Fanout.Cli.Output;

namespace Fanout.Cli.Tests.Commands;

[Trait("Category", "Unit")]
public sealed class OrderRenderingTests
{
    [Theory]
    [InlineData("PENDING", "[yellow]PENDING[/]")]
    [InlineData("CANCELLING", "[yellow]CANCELLING[/]")]
    [InlineData("CANCELLED", "[blue]CANCELLED[/]")]
    [InlineData("RELEASED", "[blue]RELEASED[/]")]
    [InlineData("COMPLETED", "[green]COMPLETED[/]")]
    [InlineData("RESERVED", "[green]RESERVED[/]")]
    [InlineData("REJECTED", "[red]REJECTED[/]")]
    [InlineData("SOMETHING[NEW]", "SOMETHING[[NEW]]")]
    public void Status_EveryLifecycleStatus_HasItsColour(string status, string expected)
    {
        Assert.Equal(expected, OrderRendering.Status(status));
    }
}
