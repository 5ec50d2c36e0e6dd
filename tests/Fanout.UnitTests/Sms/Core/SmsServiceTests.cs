using Fanout.Contracts.Events;
using Fanout.Sms.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Sms.Core;

[Trait("Category", "Unit")]
public sealed class SmsServiceTests
{
    private readonly ServiceHarness _harness = new(TestClock.Create());

    [Fact]
    public async Task HandleAsync_CustomerHasPhone_SendsOneSmsAndPublishesSmsSentWithProviderId()
    {
        var placed = new OrderPlacedBuilder().WithPhone("+447911123456").BuildParsed();

        var ranNow = await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken);

        Assert.True(ranNow);
        var sent = Assert.Single(_harness.SmsSender.Sent);
        Assert.Equal("+447911123456", sent.PhoneNumber);
        Assert.Equal(SmsRenderer.Render(placed.Data.OrderId, 2, 3), sent.Text);
        var published = Assert.Single(_harness.Publisher.Published);
        Assert.Equal(EventIds.For(placed.Data.OrderId, SmsService.ServiceName, SmsDelivery.Sent), published.Id);
        var sms = EventParser.Parse(published.Json, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent).Data;
        Assert.Equal(SmsDelivery.Sent, sms.Delivery);
        Assert.Equal("sms-" + placed.Data.OrderId, sms.ProviderMessageId);
    }

    [Fact]
    public async Task HandleAsync_CustomerHasNoPhone_SendsNothingAndPublishesSkipped()
    {
        var placed = new OrderPlacedBuilder().WithPhone(null).BuildParsed();

        await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken);

        Assert.Empty(_harness.SmsSender.Sent);
        var published = Assert.Single(_harness.Publisher.Published);
        Assert.Equal(EventIds.For(placed.Data.OrderId, SmsService.ServiceName, SmsDelivery.Skipped), published.Id);
        var sms = EventParser.Parse(published.Json, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent).Data;
        Assert.Equal(SmsDelivery.Skipped, sms.Delivery);
        Assert.Null(sms.ProviderMessageId);
        Assert.DoesNotContain("providerMessageId", published.Json, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_AnyOrder_FitsOneSmsSegment()
    {
        var text = SmsRenderer.Render(OrderPlacedBuilder.DefaultOrderId, 50, 50_000);

        Assert.True(text.Length <= 160, $"{text.Length} characters");
        Assert.Contains(OrderPlacedBuilder.DefaultOrderId[..8], text, StringComparison.Ordinal);
    }
}
