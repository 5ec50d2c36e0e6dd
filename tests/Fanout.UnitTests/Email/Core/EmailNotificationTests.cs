using Fanout.Contracts.Events;
using Fanout.Email.Core;
using Fanout.Functions.Common.Consumers;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Email.Core;

/// <summary>One e-mail per fact that concerns the customer, each saying which notification it was.</summary>
[Trait("Category", "Unit")]
public sealed class EmailNotificationTests
{
    private readonly ServiceHarness _harness = new(TestClock.Create());
    private readonly OrderPlacedBuilder _order = new OrderPlacedBuilder().WithEmail("ada@example.com");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HandleAsync_InventoryRejected_SendsCouldNotFulfilOnceAndPublishesItsKind()
    {
        var rejected = _order.BuildRejectedParsed();

        for (var i = 0; i < 3; i++)
        {
            await _harness.Email.HandleAsync(rejected, Ct);
        }

        Assert.Equal(1, _harness.EmailSender.Calls);
        var message = Assert.Single(_harness.EmailSender.Sent).Message;
        Assert.Equal(
            new EmailMessage(
                "ada@example.com",
                $"Order {_order.OrderId} could not be fulfilled",
                $"We are sorry: we could not fulfil your order {_order.OrderId}, because some items are out of stock.\n\nNothing was reserved for it.\n",
                NotificationKinds.OrderNotFulfilled),
            message);
        var published = _harness.Publisher.Published[0];
        Assert.Equal(EventIds.For(_order.OrderId, EmailService.ServiceName, NotificationKinds.OrderNotFulfilled), published.Id);
        Assert.Equal(NotificationKinds.OrderNotFulfilled, EventParser.Parse(published.Json, EventTypes.EmailSent, ContractsJsonContext.Default.EmailSent).Data.Notification);
    }

    [Fact]
    public async Task HandleAsync_OrderCancelled_SendsCancelledAndPublishesItsKind()
    {
        await _harness.Email.HandleAsync(_order.BuildCancelledParsed(), Ct);

        Assert.Equal(
            new EmailMessage(
                "ada@example.com",
                $"Order {_order.OrderId} cancelled",
                $"Your order {_order.OrderId} is cancelled.\n\nAnything we had set aside for it goes back to stock.\n",
                NotificationKinds.OrderCancelled),
            Assert.Single(_harness.EmailSender.Sent).Message);
        Assert.Equal(EventIds.For(_order.OrderId, EmailService.ServiceName, NotificationKinds.OrderCancelled), _harness.Publisher.Published[0].Id);
    }

    [Fact]
    public async Task HandleAsync_EveryFactOfOneOrder_OneEmailEach()
    {
        await _harness.Email.HandleAsync(_order.BuildParsed(), Ct);
        await _harness.Email.HandleAsync(_order.BuildRejectedParsed(), Ct);
        await _harness.Email.HandleAsync(_order.BuildCancelledParsed(), Ct);

        Assert.Equal(
            [NotificationKinds.OrderReceived, NotificationKinds.OrderNotFulfilled, NotificationKinds.OrderCancelled],
            _harness.EmailSender.Sent.Select(s => s.Message.Notification));
        Assert.Equal(3, _harness.Publisher.Published.Select(p => p.Id).Distinct().Count());
    }

    [Fact]
    public void Render_UnknownKind_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EmailRenderer.Render(new CustomerNotice("o-1", new CustomerInfo(), "ORDER_SHIPPED", [])));
    }
}
