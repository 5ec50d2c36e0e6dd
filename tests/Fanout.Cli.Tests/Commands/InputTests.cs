using Fanout.Cli.Commands;

namespace Fanout.Cli.Tests.Commands;

[Trait("Category", "Unit")]
public sealed class InputTests
{
    private static readonly string[] _demoSkus = ["TSHIRT-RED-M", "TSHIRT-BLUE-L", "MUG-WHITE"];

    [Fact]
    public void BuildOrder_SkusAndQuantities_PairsThemInOrderDefaultingToOne()
    {
        var order = OrderCommand.BuildOrder(["MUG-WHITE", "POSTER-A2", "STICKER-PACK"], [3, 2], _demoSkus, "c1", "c1@example.com", null);

        Assert.Equal([("MUG-WHITE", 3), ("POSTER-A2", 2), ("STICKER-PACK", 1)], order.Items.Select(i => (i.Sku, i.Quantity)));
        Assert.Null(order.Customer.Phone);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("  ")]
    public void BuildOrder_NoCustomerId_LeavesItEmptyForTheTokensSub(string? customerId)
    {
        var order = OrderCommand.BuildOrder(["MUG-WHITE"], [], _demoSkus, customerId, "c1@example.com", null);

        Assert.Equal("", order.Customer.Id);
        Assert.Equal("c1@example.com", order.Customer.Email);
    }

    [Fact]
    public void BuildOrder_CustomerId_IsTrimmedAndKept()
    {
        Assert.Equal("c-7", OrderCommand.BuildOrder(["MUG-WHITE"], [], _demoSkus, " c-7 ", "c1@example.com", null).Customer.Id);
    }

    [Fact]
    public void BuildOrder_MoreQuantitiesThanSkus_IsAUsageError()
    {
        Assert.Throws<UsageException>(() => OrderCommand.BuildOrder(["MUG-WHITE"], [1, 2], _demoSkus, "c", "c@example.com", null));
    }

    [Fact]
    public void BuildOrder_ZeroQuantity_IsAUsageError()
    {
        Assert.Throws<UsageException>(() => OrderCommand.BuildOrder(["MUG-WHITE"], [0], _demoSkus, "c", "c@example.com", null));
    }

    [Fact]
    public void BuildOrder_NoSku_UsesTheFirstTwoDemoSkus()
    {
        var order = OrderCommand.BuildOrder([], [], _demoSkus, "c", "c@example.com", OrderCommand.DemoPhone);

        Assert.Equal([("TSHIRT-RED-M", 1), ("TSHIRT-BLUE-L", 1)], order.Items.Select(i => (i.Sku, i.Quantity)));
        Assert.Equal(OrderCommand.DemoPhone, order.Customer.Phone);
    }

    [Fact]
    public async Task LevelsAsync_SkuAndFileTogether_IsAUsageError()
    {
        await Assert.ThrowsAsync<UsageException>(() => StockCommand.LevelsAsync("MUG-WHITE", 1, new FileInfo("x.json"), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("mug", 1)]
    [InlineData("MUG-WHITE", -1)]
    [InlineData("MUG-WHITE", null)]
    [InlineData(null, null)]
    public async Task LevelsAsync_InvalidSingleSku_IsAUsageError(string? sku, int? units)
    {
        await Assert.ThrowsAsync<UsageException>(() => StockCommand.LevelsAsync(sku, units, null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task LevelsAsync_ValidSingleSku_ReturnsIt()
    {
        var levels = await StockCommand.LevelsAsync("MUG-WHITE", 0, null, TestContext.Current.CancellationToken);

        Assert.Equal([("MUG-WHITE", 0)], levels);
    }

    [Fact]
    public void Classify_ExpectedFailures_MapToExitCodes()
    {
        Assert.Equal(ExitCodes.Usage, CommandRunner.Classify(new Fanout.Cli.Targeting.TargetResolutionException("x"))!.Value.Code);
        Assert.Equal(ExitCodes.Unavailable, CommandRunner.Classify(new HttpRequestException("refused"))!.Value.Code);
        Assert.Null(CommandRunner.Classify(new InvalidOperationException("a bug")));
    }
}
