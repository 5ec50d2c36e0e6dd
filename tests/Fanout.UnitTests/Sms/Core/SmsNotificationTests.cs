using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;
using Fanout.Sms;
using Fanout.Sms.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Sms.Core;

/// <summary>One text per fact that concerns the customer, each saying which notification it was.</summary>
[Trait("Category", "Unit")]
public sealed class SmsNotificationTests
{
    private readonly ServiceHarness _harness = new(TestClock.Create());
    private readonly OrderPlacedBuilder _order = new OrderPlacedBuilder().WithOrderId("0195a1b2-0000-7e5f-8a9b-0c1d2e3f4a5b").WithPhone("+447911123456");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SmsSent Published(int index) =>
        EventParser.Parse(_harness.Publisher.Published[index].Json, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent).Data;

    [Fact]
    public async Task HandleAsync_InventoryRejected_TextsCouldNotFulfilAndPublishesItsKind()
    {
        Assert.True(await _harness.Sms.HandleAsync(_order.BuildRejectedParsed(), Ct));

        var sent = Assert.Single(_harness.SmsSender.Sent);
        Assert.Equal(("+447911123456", "Fanout: sorry, we could not fulfil your order 0195a1b2."), (sent.PhoneNumber, sent.Text));
        Assert.Equal(EventIds.For(_order.OrderId, SmsService.ServiceName, NotificationKinds.OrderNotFulfilled), _harness.Publisher.Published[0].Id);
        Assert.Equal((NotificationKinds.OrderNotFulfilled, SmsDelivery.Sent), (Published(0).Notification, Published(0).Delivery));
    }

    [Fact]
    public async Task HandleAsync_OrderCancelled_TextsCancelledAndPublishesItsKind()
    {
        Assert.True(await _harness.Sms.HandleAsync(_order.BuildCancelledParsed(), Ct));

        Assert.Equal("Fanout: your order 0195a1b2 is cancelled.", Assert.Single(_harness.SmsSender.Sent).Text);
        Assert.Equal(EventIds.For(_order.OrderId, SmsService.ServiceName, NotificationKinds.OrderCancelled), _harness.Publisher.Published[0].Id);
        Assert.Equal(NotificationKinds.OrderCancelled, Published(0).Notification);
    }

    [Fact]
    public async Task HandleAsync_EveryFactOfOneOrder_OneTextEachWithDistinctIds()
    {
        await _harness.Sms.HandleAsync(_order.BuildParsed(), Ct);
        await _harness.Sms.HandleAsync(_order.BuildRejectedParsed(), Ct);
        await _harness.Sms.HandleAsync(_order.BuildCancelledParsed(), Ct);

        Assert.Equal(
            [NotificationKinds.OrderReceived, NotificationKinds.OrderNotFulfilled, NotificationKinds.OrderCancelled],
            _harness.SmsSender.Sent.Select(s => s.Notification));
        Assert.Equal(3, _harness.Publisher.Published.Select(p => p.Id).Distinct().Count());
    }

    [Fact]
    public async Task HandleAsync_RejectionDeliveredThreeTimes_TextsOnce()
    {
        var rejected = _order.BuildRejectedParsed();

        var runs = new List<bool>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(await _harness.Sms.HandleAsync(rejected, Ct));
        }

        Assert.Equal([true, false, false], runs);
        Assert.Equal(1, _harness.SmsSender.Calls);
        Assert.Single(_harness.Publisher.Published.Select(p => p.Json).Distinct());
    }

    [Fact]
    public async Task HandleAsync_CancelledWithoutPhone_IsSkipped()
    {
        await _harness.Sms.HandleAsync(new OrderPlacedBuilder().WithPhone(null).BuildCancelledParsed(), Ct);

        Assert.Empty(_harness.SmsSender.Sent);
        Assert.Equal((NotificationKinds.OrderCancelled, SmsDelivery.Skipped, (string?)null), (Published(0).Notification, Published(0).Delivery, Published(0).ProviderMessageId));
    }

    [Theory]
    [InlineData(NotificationKinds.OrderReceived)]
    [InlineData(NotificationKinds.OrderNotFulfilled)]
    [InlineData(NotificationKinds.OrderCancelled)]
    public void Render_AnyKind_CarriesItsKindExplicitlyInOneSegmentWithoutTheAddress(string kind)
    {
        var notice = new CustomerNotice(_order.OrderId, new CustomerInfo { Id = "c", Email = "a@example.com" }, kind, [new OrderLine { Sku = "MUG-01", Quantity = 1 }]);

        var message = SmsRenderer.Render(notice, "+14155550123");

        Assert.Equal((kind, "+14155550123"), (message.Notification, message.PhoneNumber));
        Assert.True(message.Text.Length <= 160);
        Assert.DoesNotContain("a@example.com", message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnknownKind_Throws()
    {
        var notice = new CustomerNotice("o-1", new CustomerInfo(), "ORDER_SHIPPED", []);

        Assert.Throws<ArgumentOutOfRangeException>(() => SmsRenderer.Render(notice));
    }

    [Fact]
    public void RecordingSender_Constants_AreTheDocumentedKeyAndChannel()
    {
        Assert.Equal(("SMS#", "sms"), (RecordingSmsSender.KeyPrefix, RecordingSmsSender.Channel));
    }
}
